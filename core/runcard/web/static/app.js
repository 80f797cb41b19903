// runcard web app: a single page over the JSON API under /api. Every value from the store is
// put into the page as text (textContent / createTextNode), never parsed as HTML.
"use strict";

const PAGE = 50;
const PALETTE = ["#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452", "#9a60b4"];
const LIVE_POLL_MS = 2000; // a view with a live run asks what changed this often
const QUIET_POLL_MS = 15000; // otherwise this often: a run may start
const main = document.getElementById("main");
const crumbs = document.getElementById("crumbs");
let charts = [];
let poll = null; // the pending timer of the view on screen
let resume = null; // the poll put off while the page was hidden

function refreshSoon(ms) {
  // re-render the same view later (answers the server marked stale or partial), unless the
  // user moved on or is typing
  const hash = location.hash;
  clearTimeout(poll);
  poll = setTimeout(() => {
    const typing = document.activeElement && ["INPUT", "SELECT"].includes(document.activeElement.tagName);
    if (location.hash === hash && !typing) render();
    else if (location.hash === hash) refreshSoon(ms);
  }, ms);
}

function pollLater(owner, ms, tick) {
  // run tick after ms while owner (the element it updates) is still on screen; a hidden page
  // waits until it is shown again
  if (!owner.isConnected) return;
  clearTimeout(poll);
  poll = setTimeout(() => {
    if (!owner.isConnected) return;
    if (document.hidden) resume = tick;
    else tick();
  }, ms);
}

document.addEventListener("visibilitychange", () => {
  if (document.hidden || !resume) return;
  const tick = resume;
  resume = null;
  tick();
});

// -- DOM helpers --------------------------------------------------------------------------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "className") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function show(cell) {
  // a cell is {missing: true} or {value: v}; returns a span holding the value as text
  if (!cell || cell.missing) return h("span", { className: "missing", title: "missing" }, "—");
  return plain(cell.value);
}

function plain(v) {
  if (v === null) return h("span", { className: "null" }, "null");
  if (typeof v === "number") return h("span", {}, fmt(v));
  if (typeof v === "object") return h("span", {}, JSON.stringify(v));
  return h("span", {}, String(v));
}

function fmt(v) {
  if (typeof v !== "number") return String(v);
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(3) : String(+v.toPrecision(5));
}

function value(cell) {
  if (!cell || cell.missing) return "(missing)";
  if (cell.value === null) return "null";
  return typeof cell.value === "object" ? JSON.stringify(cell.value) : cell.value;
}

// -- URL state ----------------------------------------------------------------------------
function route() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query] = hash.split("?");
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), q: new URLSearchParams(query || "") };
}

function go(parts, q) {
  const query = q && [...q.keys()].length ? "?" + q.toString() : "";
  location.hash = "#/" + parts.map(encodeURIComponent).join("/") + query;
}

function with_(q, changes) {
  const next = new URLSearchParams(q);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === "") next.delete(k);
    else next.set(k, v);
  }
  return next;
}

async function api(path, params) {
  const url = "/api/" + path + (params ? "?" + new URLSearchParams(params).toString() : "");
  const res = await fetch(url);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body;
}

function fail(err) {
  main.appendChild(h("p", { className: "error", id: "error" }, String(err.message || err)));
}

// -- views --------------------------------------------------------------------------------
async function render() {
  resume = null;
  clearTimeout(poll);
  charts.forEach((c) => c.dispose());
  charts = [];
  main.replaceChildren();
  crumbs.replaceChildren();
  const { parts, q } = route();
  try {
    if (parts[0] === "p" && parts.length === 3) await projectView(parts[1] + "/" + parts[2], q);
    else if (parts[0] === "run" && parts.length === 4) await runView(parts.slice(1).join("/"));
    else await projectsView();
  } catch (err) {
    fail(err);
  }
  document.body.setAttribute("data-ready", "1");
}

async function projectsView() {
  const { projects } = await api("projects");
  main.appendChild(h("h2", {}, "Projects"));
  if (!projects.length) {
    main.appendChild(h("p", {}, "No runs yet: call runcard.init() in a script, then reload."));
    return;
  }
  main.appendChild(
    h("table", { id: "projects" },
      h("tr", {}, h("th", {}, "project"), h("th", {}, "runs")),
      projects.map((p) =>
        h("tr", {},
          h("td", {}, h("a", { href: "#/p/" + encodeURIComponent(p.entity) + "/" + encodeURIComponent(p.name) }, p.path)),
          h("td", { className: "num" }, p.runs))))
  );
}

const VIEWS = ["table", "groups", "diff", "parallel", "scatter"];

async function projectView(project, q) {
  const view = q.get("view") || "table";
  const [entity, name] = project.split("/");
  crumbs.appendChild(h("a", { href: "#/p/" + encodeURIComponent(entity) + "/" + encodeURIComponent(name) }, project));
  const nav = h("nav", { className: "tabs" },
    VIEWS.map((v) => h("a", { href: "#", className: v === view ? "active" : "", "data-view": v,
      onclick: (e) => { e.preventDefault(); go(["p", entity, name], with_(q, { view: v })); } }, v)));
  const filter = h("input", { type: "text", id: "filter", value: q.get("filter") || "",
    placeholder: "filter: config.lr>=0.01 and state=finished, or {\"config.lr\": {\"$gte\": 0.01}}" });
  const form = h("form", { className: "toolbar", onsubmit: (e) => {
    e.preventDefault(); go(["p", entity, name], with_(q, { filter: filter.value, offset: null }));
  } }, "Filter ", filter, h("button", { type: "submit" }, "apply"));
  main.append(nav, form);
  const params = { project };
  if (q.get("filter")) params.filter = q.get("filter");
  if (view === "groups") await groupsView(project, q, params);
  else if (view === "diff") await diffView(project, q);
  else if (view === "parallel") await parallelView(project, q, params);
  else if (view === "scatter") await scatterView(project, q, params);
  else await tableView(project, q, params);
}

function selected(q) {
  return (q.get("sel") || "").split(",").filter(Boolean);
}

async function tableView(project, q, params) {
  const [entity, name] = project.split("/");
  const offset = +(q.get("offset") || 0);
  const sort = q.get("sort") || "-created_at";
  const page = await api("runs", { ...params, sort, offset, limit: PAGE });
  const all = [...page.columns.config_varying, ...page.columns.config_same, ...page.columns.summary];
  const chosen = q.get("cols") ? q.get("cols").split(",").filter(Boolean)
    : [...page.columns.config_varying, ...page.columns.summary];
  const sel = new Set(selected(q));

  const chooser = h("details", { className: "columns", id: "column-chooser" }, h("summary", {}, "columns"),
    h("div", {}, all.map((c) => h("label", {}, h("input", { type: "checkbox", value: c, checked: chosen.includes(c),
      onchange: (e) => {
        const next = e.target.checked ? [...chosen, c] : chosen.filter((x) => x !== c);
        go(["p", entity, name], with_(q, { cols: next.join(",") }));
      } }), c, h("br")))));
  const compare = h("button", { id: "compare", disabled: sel.size < 2,
    onclick: () => go(["p", entity, name], with_(q, { view: "diff" })) }, `compare selected (${sel.size})`);
  const count = h("span", { id: "count" });
  const next = h("button", { id: "next", onclick: () => go(["p", entity, name], with_(q, { offset: offset + PAGE })) }, "next ›");
  const showTotal = (total) => {
    count.textContent = ` ${total ? offset + 1 : 0}–${Math.min(offset + PAGE, total)} of ${total} `;
    next.disabled = offset + PAGE >= total;
  };
  showTotal(page.total);
  const pager = h("span", {},
    h("button", { id: "prev", disabled: offset <= 0, onclick: () => go(["p", entity, name], with_(q, { offset: Math.max(0, offset - PAGE) })) }, "‹ prev"),
    count, next);
  main.appendChild(h("div", { className: "toolbar" }, chooser, compare, pager));

  const header = (key, label) => {
    const active = sort.replace(/^[-+]/, "") === key;
    const arrow = active ? (sort.startsWith("-") ? " ▼" : " ▲") : "";
    return h("th", { className: "sortable", "data-key": key, onclick: () =>
      go(["p", entity, name], with_(q, { sort: active && sort.startsWith("-") ? key : "-" + key, offset: null })) },
    label + arrow);
  };
  const short = (c) => c.replace(/^config\./, "").replace(/^summary\./, "↳ ");
  const rowOf = (r) => {
    const box = h("input", { type: "checkbox", className: "select", "data-path": r.path, checked: sel.has(r.path),
      onchange: (e) => {
        const next = new Set(selected(q));
        if (e.target.checked) next.add(r.path); else next.delete(r.path);
        go(["p", entity, name], with_(q, { sel: [...next].join(",") }));
      } });
    const [, , id] = r.path.split("/");
    return h("tr", { "data-path": r.path },
      h("td", {}, box),
      h("td", {}, h("a", { href: "#/run/" + [entity, name, id].map(encodeURIComponent).join("/") }, r.name)),
      h("td", { className: "state-" + r.state }, r.state),
      h("td", {}, (r.created_at || "-").slice(0, 19).replace("T", " ")),
      chosen.map((c) => {
        const [head, ...rest] = c.split(".");
        const source = head === "config" ? r.config : head === "summary" ? r.summary : null;
        const key = rest.join(".");
        const cell = source && key in source ? { value: source[key] } : { missing: true };
        return h("td", { className: typeof cell.value === "number" ? "num" : "" }, show(cell));
      }));
  };
  const table = h("table", { id: "runs" },
    h("tr", {}, h("th", {}, ""), header("name", "name"), header("state", "state"), header("created_at", "created"),
      chosen.map((c) => header(c, short(c)))),
    page.runs.map(rowOf));
  main.appendChild(table);
  // columns picked from a sample while the server reads every run: ask again when it is done
  if (page.columns_partial) refreshSoon(1500);
  else watchTable(page, params, { table, rowOf, showTotal, newestFirst: sort === "-created_at" && offset === 0 });
}

function watchTable(page, params, { table, rowOf, showTotal, newestFirst }) {
  // ask the server what changed since the page was read, and patch only those rows: a shown
  // run is redrawn in place, a new one counted (and put on top of the first page, newest first)
  const shown = new Map(page.runs.map((r, i) => [r.path, table.rows[i + 1]]));
  let token = page.token;
  let total = page.total;
  const tick = async () => {
    let answer;
    try {
      answer = await api("changes", { ...params, token });
    } catch (err) {
      pollLater(table, QUIET_POLL_MS, tick);
      return;
    }
    if (!table.isConnected) return;
    if (answer.removed) { // runs were deleted: which of them this page shows, only a new read says
      refreshSoon(0);
      return;
    }
    token = answer.token;
    for (const r of [...answer.runs].reverse()) { // oldest first: each new one goes on top
      const old = shown.get(r.path);
      if (old) {
        const row = rowOf(r);
        old.replaceWith(row);
        shown.set(r.path, row);
      } else if (answer.created.includes(r.path)) {
        total += 1;
        if (!newestFirst) continue;
        const row = rowOf(r);
        table.rows[0].after(row);
        shown.set(r.path, row);
      }
    }
    while (shown.size > PAGE) {
      const last = table.rows[table.rows.length - 1];
      shown.delete(last.dataset.path);
      last.remove();
    }
    showTotal(total);
    pollLater(table, answer.live ? LIVE_POLL_MS : QUIET_POLL_MS, tick);
  };
  pollLater(table, LIVE_POLL_MS, tick);
}

async function groupsView(project, q, params) {
  const [entity, name] = project.split("/");
  const cols = (await api("runs", { ...params, limit: 1 })).columns;
  const keys = [...cols.config_varying, ...cols.config_same];
  const by = (q.get("by") || "").split(",").filter(Boolean);
  const except = (q.get("except") || "").split(",").filter(Boolean);
  const metric = q.get("metric") || cols.summary[0] || "";
  const keyBoxes = h("span", { id: "group-keys" }, "group by: ", keys.map((k) => h("label", {},
    h("input", { type: "checkbox", value: k, checked: by.includes(k), onchange: (e) => {
      const next = e.target.checked ? [...by, k] : by.filter((x) => x !== k);
      go(["p", entity, name], with_(q, { by: next.join(","), except: null }));
    } }), k.replace(/^config\./, ""), " ")));
  const seed = keys.find((k) => /(^|\.)seed$/.test(k));
  const allBut = seed ? h("button", { id: "all-except-seed", onclick: () =>
    go(["p", entity, name], with_(q, { except: seed, by: null })) }, "all except " + seed.replace(/^config\./, "")) : null;
  const metricSel = h("select", { id: "group-metric", onchange: (e) => go(["p", entity, name], with_(q, { metric: e.target.value })) },
    cols.summary.map((m) => h("option", { value: m, selected: m === metric }, m)));
  main.appendChild(h("div", { className: "toolbar" }, keyBoxes, allBut, " metric: ", metricSel));
  if (!by.length && !except.length) {
    main.appendChild(h("p", {}, "Choose one or more config keys to group by."));
    return;
  }
  const answer = await api("groups", { ...params, ...(by.length ? { by: by.join(",") } : {}),
    ...(except.length ? { all_except: except.join(",") } : {}), ...(metric ? { metric } : {}) });
  const stats = (g) => g.stats[metric] || {};
  if (answer.stale) refreshSoon(1500);
  main.appendChild(h("table", { id: "groups" },
    h("tr", {}, answer.keys.map((k) => h("th", {}, k.replace(/^config\./, ""))), h("th", {}, "runs"),
      h("th", {}, metric + " mean ± std"), h("th", {}, "95% CI"), h("th", {}, "n")),
    answer.groups.map((g) => {
      const s = stats(g);
      return h("tr", { className: "group" },
        g.values.map((c) => h("td", { className: "key" }, show(c))),
        h("td", { className: "num count" }, g.count),
        h("td", { className: "num mean", "data-mean": s.mean === null ? "" : s.mean },
          s.mean === null || s.mean === undefined ? "—" : fmt(s.mean) + (s.std === null ? "" : " ± " + fmt(s.std))),
        h("td", { className: "num" }, s.ci95 ? `[${fmt(s.ci95[0])}, ${fmt(s.ci95[1])}]` : "—"),
        h("td", { className: "num" }, s.n === undefined ? 0 : s.n));
    })));
  const chart = h("div", { className: "chart wide", id: "group-chart" });
  main.appendChild(chart);
  const labels = answer.groups.map((g) => g.values.map(value).join(", "));
  const c = echarts.init(chart);
  charts.push(c);
  c.setOption({
    animation: false, tooltip: { renderMode: "richText" }, xAxis: { type: "category", data: labels }, yAxis: { type: "value", scale: true },
    series: [{ type: "bar", name: metric, data: answer.groups.map((g) => stats(g).mean) },
      { type: "custom", name: "95% CI", renderItem: (params, api) => {
        const lo = api.coord([api.value(0), api.value(1)]);
        const hi = api.coord([api.value(0), api.value(2)]);
        return { type: "line", shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style: { stroke: "#111", lineWidth: 2 } };
      }, data: answer.groups.map((g, i) => stats(g).ci95 ? [i, stats(g).ci95[0], stats(g).ci95[1]] : [i, null, null]) }],
  });
  await groupCurves(answer, cols.summary, q, entity, name);
}

async function groupCurves(answer, summaryKeys, q, entity, name) {
  // a group's metric curve: mean over its runs with a ± std band, up to 8 groups
  const metrics = summaryKeys.map((m) => m.replace(/^summary\./, ""));
  if (!metrics.length) return;
  const curve = metrics.includes(q.get("curve")) ? q.get("curve") : metrics[0];
  main.appendChild(h("div", { className: "toolbar" }, "curves (mean ± std per group): ",
    h("select", { id: "curve-metric", onchange: (e) => go(["p", entity, name], with_(q, { curve: e.target.value })) },
      metrics.map((m) => h("option", { value: m, selected: m === curve }, m)))));
  const box = h("div", { className: "chart wide", id: "group-curves" });
  main.appendChild(box);
  const groups = answer.groups.slice(0, 8);
  const bands = await Promise.all(groups.map((g) => api("band", { runs: g.runs.slice(0, 50).join(","), key: curve, points: 200 })));
  const series = [];
  bands.forEach((b, i) => {
    const label = groups[i].values.map(value).join(", ");
    const color = PALETTE[i % PALETTE.length];
    const outline = [...b.steps.map((x, j) => [x, b.high[j]]), ...b.steps.map((x, j) => [x, b.low[j]]).reverse()];
    // one polygon per group; every outline point is data so the axes make room for the band
    series.push({ type: "custom", name: label, silent: true, tooltip: { show: false }, data: outline,
      renderItem: (params, api) => (params.dataIndex !== 0 ? null : { type: "polygon",
        shape: { points: outline.map((p) => api.coord(p)) }, style: { fill: color, opacity: 0.2 } }) });
    series.push({ type: "line", name: label, color, showSymbol: b.steps.length < 30, data: b.steps.map((x, j) => [x, b.mean[j]]) });
  });
  const c = echarts.init(box);
  charts.push(c);
  c.setOption({ animation: false, title: { text: curve, textStyle: { fontSize: 13 } }, tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { top: 20 }, grid: { top: 60 }, xAxis: { type: "value", name: "step" }, yAxis: { type: "value", scale: true }, series });
  box.setAttribute("data-groups", String(bands.filter((b) => b.steps.length).length));
}

async function diffView(project, q) {
  const sel = selected(q);
  if (sel.length < 2) {
    main.appendChild(h("p", {}, "Select two or more runs in the table to compare them."));
    return;
  }
  const d = await api("diff", { runs: sel.join(",") });
  main.appendChild(h("h3", {}, `Config keys that differ (${d.config.length}; ${d.same_count} equal keys hidden)`));
  const head = h("tr", {}, h("th", {}, "key"), d.runs.map((r) => h("th", {}, r.name)));
  main.appendChild(h("table", { id: "diff" }, head,
    d.config.map((row) => h("tr", { "data-key": row.key }, h("td", {}, row.key), row.values.map((c) => h("td", {}, show(c)))))));
  main.appendChild(h("h3", {}, "Summary"));
  main.appendChild(h("table", { id: "diff-summary" }, head.cloneNode(true),
    d.summary.map((row) => h("tr", { className: row.differs ? "differs" : "" }, h("td", {}, row.key),
      row.values.map((c) => h("td", { className: "num" }, show(c)))))));
  const metrics = d.summary.filter((r) => r.values.some((c) => typeof c.value === "number")).map((r) => r.key);
  if (metrics.length) {
    const metric = q.get("metric") && metrics.includes(q.get("metric")) ? q.get("metric") : metrics[0];
    const [entity, name] = project.split("/");
    main.appendChild(h("div", { className: "toolbar" }, "overlay metric: ",
      h("select", { id: "overlay-metric", onchange: (e) => go(["p", entity, name], with_(q, { metric: e.target.value })) },
        metrics.map((m) => h("option", { value: m, selected: m === metric }, m)))));
    const box = h("div", { className: "chart wide", id: "overlay" });
    main.appendChild(box);
    await lineChart(box, sel, metric);
  }
}

async function lineChart(box, paths, key) {
  const data = await api("series", { runs: paths.join(","), key, points: 1000 });
  const c = echarts.init(box);
  charts.push(c);
  c.setOption({
    animation: false, title: { text: key, textStyle: { fontSize: 13 } }, tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { top: 20, data: data.series.map((s) => s.name) }, grid: { top: 60 },
    xAxis: { type: "value", name: "step" }, yAxis: { type: "value", scale: true },
    series: data.series.map((s) => ({ type: "line", name: s.name, showSymbol: s.steps.length < 30, data: s.steps.map((x, i) => [x, s.values[i]]) })),
  });
  box.setAttribute("data-points", String(data.series.reduce((n, s) => n + s.steps.length, 0)));
}

async function runView(path) {
  const r = await api("run/" + path.split("/").map(encodeURIComponent).join("/"));
  crumbs.append(h("a", { href: "#/p/" + encodeURIComponent(r.entity) + "/" + encodeURIComponent(r.project) }, r.entity + "/" + r.project), " / ", r.id);
  const state = h("span", { className: "state-" + r.state, id: "run-state" }, "(" + r.state + ")");
  main.appendChild(h("h2", { id: "run-name" }, r.name, " ", state));
  main.appendChild(h("p", {}, r.path, " · created ", r.created_at || "-", r.group ? " · group " : "", r.group || "",
    " ", r.tags.map((t) => h("span", { className: "tag" }, t))));
  if (r.notes) main.appendChild(h("p", {}, r.notes));
  main.appendChild(h("h3", {}, "Charts"));
  const grid = h("div", { id: "charts" });
  main.appendChild(grid);
  main.appendChild(h("h3", {}, "Config"));
  main.appendChild(h("table", { id: "config" }, h("tr", {}, h("th", {}, "key"), h("th", {}, "value"), h("th", {}, "set by")),
    flatRows(r.config).map(([k, v]) => {
      const revs = r.provenance[k] || [];
      const last = revs[revs.length - 1];
      const history = revs.length ? h("details", {}, h("summary", {}, (last.source || "") + (revs.length > 1 ? ` (${revs.length} revisions)` : "")),
        revs.map((rev) => h("div", {}, `${rev.source}${rev.detail ? " " + rev.detail : ""}${rev.step !== null ? " at step " + rev.step : ""}: `, plain(rev.value)))) : "";
      return h("tr", {}, h("td", { title: r.descriptions[k] || "" }, k, r.descriptions[k] ? " ⓘ" : ""), h("td", {}, plain(v)), h("td", {}, history));
    })));
  main.appendChild(h("h3", {}, "Summary"));
  const summary = h("table", { id: "summary" });
  const showSummary = (values) => summary.replaceChildren(
    ...flatRows(values).map(([k, v]) => h("tr", {}, h("td", {}, k), h("td", { className: "num" }, plain(v)))));
  showSummary(r.summary);
  main.appendChild(summary);
  main.appendChild(h("h3", {}, "Host"));
  main.appendChild(h("table", { id: "metadata" }, flatRows(r.metadata).map(([k, v]) => h("tr", {}, h("td", {}, k), h("td", {}, plain(v))))));
  const plots = new Map();
  const keys = r.metrics.slice(0, MAX_RUN_CHARTS);
  if (keys.length) {
    const first = await api("history", { run: r.path, keys: keys.join(","), points: 1000 });
    for (const key of keys) plots.set(key, runChart(grid, key, r.name, first.series[key]));
  }
  if (r.state === "running") watchRun(r, plots, grid, { state, showSummary });
}

const MAX_RUN_CHARTS = 24;

function runChart(grid, key, name, series) {
  // one metric of the run page: its points kept so that later ones are appended, not refetched
  const box = h("div", { className: "chart", "data-key": key });
  grid.appendChild(box);
  const c = echarts.init(box);
  charts.push(c);
  const plot = { chart: c, box, name, data: [], last: -1 };
  c.setOption({
    animation: false, title: { text: key, textStyle: { fontSize: 13 } }, tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { top: 20, data: [name] }, grid: { top: 60 },
    xAxis: { type: "value", name: "step" }, yAxis: { type: "value", scale: true },
    series: [{ type: "line", name, showSymbol: true, data: [] }],
  });
  if (series) extend(plot, series);
  return plot;
}

function extend(plot, series) {
  series.steps.forEach((x, i) => plot.data.push([x, series.values[i]]));
  plot.last = series.last_step;
  plot.chart.setOption({ series: [{ data: plot.data, showSymbol: plot.data.length < 30 }] });
  plot.box.setAttribute("data-points", String(plot.data.length));
}

function watchRun(r, plots, grid, { state, showSummary }) {
  // while the run is live, ask for each chart's points after the last step it holds (charts
  // holding the same last step share a request), and for the run's state and summary
  const tick = async () => {
    const bySince = new Map();
    for (const [key, plot] of plots) bySince.set(plot.last, [...(bySince.get(plot.last) || []), key]);
    if (!bySince.size) bySince.set(-1, []);
    let answers;
    try {
      answers = await Promise.all([...bySince].map(([since, keys]) =>
        api("history", { run: r.path, since_step: since, points: 1000, ...(keys.length ? { keys: keys.join(",") } : {}) })));
    } catch (err) {
      pollLater(grid, QUIET_POLL_MS, tick);
      return;
    }
    if (!grid.isConnected) return;
    for (const answer of answers) {
      for (const [key, series] of Object.entries(answer.series)) {
        if (!plots.has(key) && plots.size < MAX_RUN_CHARTS) plots.set(key, runChart(grid, key, r.name));
        if (plots.has(key)) extend(plots.get(key), series);
      }
    }
    const latest = answers[answers.length - 1];
    for (const key of latest.metrics) {
      if (!plots.has(key) && plots.size < MAX_RUN_CHARTS) plots.set(key, runChart(grid, key, r.name));
    }
    state.className = "state-" + latest.state;
    state.textContent = "(" + latest.state + ")";
    showSummary(latest.summary);
    // every answer read the state before the points: once all say ended, no point is missing
    if (answers.some((a) => a.state === "running")) pollLater(grid, LIVE_POLL_MS, tick);
  };
  pollLater(grid, LIVE_POLL_MS, tick);
}

function flatRows(obj, prefix = "") {
  const rows = [];
  for (const [k, v] of Object.entries(obj || {})) {
    if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length) rows.push(...flatRows(v, prefix + k + "."));
    else rows.push([prefix + k, v]);
  }
  return rows;
}

function axisFor(key, cells) {
  const numeric = cells.every((c) => !c.missing && typeof c.value === "number");
  if (numeric) return { type: "value", name: key, scale: true };
  const cats = [...new Set(cells.map((c) => String(value(c))))].sort();
  return { type: "category", name: key, data: cats };
}

async function parallelView(project, q, params) {
  const [entity, name] = project.split("/");
  const cols = (await api("runs", { ...params, limit: 1 })).columns;
  const metric = q.get("metric") || cols.summary[0] || "";
  main.appendChild(h("div", { className: "toolbar" }, "metric: ",
    h("select", { id: "parallel-metric", onchange: (e) => go(["p", entity, name], with_(q, { metric: e.target.value })) },
      cols.summary.map((m) => h("option", { value: m, selected: m === metric }, m)))));
  const keys = [...cols.config_varying, ...(metric ? [metric] : [])];
  if (!keys.length) { main.appendChild(h("p", {}, "No config key varies between these runs.")); return; }
  const pts = await api("points", { ...params, keys: keys.join(",") });
  const axes = keys.map((k, i) => ({ dim: i, ...axisFor(k.replace(/^config\./, ""), pts.runs.map((r) => r.values[i])) }));
  const box = h("div", { className: "chart wide", id: "parallel" });
  main.appendChild(box);
  const c = echarts.init(box);
  charts.push(c);
  const last = keys.length - 1;
  const nums = metric ? pts.runs.map((r) => r.values[last].value).filter((v) => typeof v === "number") : [];
  c.setOption({
    animation: false, parallelAxis: axes, parallel: { left: 60, right: 120 },
    visualMap: nums.length ? { show: true, precision: 3, dimension: last, min: Math.min(...nums), max: Math.max(...nums), right: 0, calculable: true,
      inRange: { color: ["#3b82f6", "#f59e0b", "#dc2626"] } } : undefined,
    series: [{ type: "parallel", lineStyle: { width: 1, opacity: 0.6 },
      data: pts.runs.map((r) => r.values.map((cell, i) => (axes[i].type === "value" ? cell.value : String(value(cell))))) }],
  });
  box.setAttribute("data-lines", String(pts.runs.length));
}

async function scatterView(project, q, params) {
  const [entity, name] = project.split("/");
  const cols = (await api("runs", { ...params, limit: 1 })).columns;
  const keys = [...cols.config_varying, ...cols.config_same];
  const x = q.get("x") || keys[0] || "";
  const y = q.get("metric") || cols.summary[0] || "";
  const pick = (id, opts, cur, param) => h("select", { id, onchange: (e) => go(["p", entity, name], with_(q, { [param]: e.target.value })) },
    opts.map((o) => h("option", { value: o, selected: o === cur }, o)));
  main.appendChild(h("div", { className: "toolbar" }, "x: ", pick("scatter-x", keys, x, "x"), " y: ", pick("scatter-y", cols.summary, y, "metric")));
  if (!x || !y) return;
  const pts = await api("points", { ...params, keys: x + "," + y });
  const xs = axisFor(x, pts.runs.map((r) => r.values[0]));
  const box = h("div", { className: "chart wide", id: "scatter" });
  main.appendChild(box);
  const c = echarts.init(box);
  charts.push(c);
  const data = pts.runs.filter((r) => typeof r.values[1].value === "number")
    .map((r) => ({ name: r.name, value: [xs.type === "value" ? r.values[0].value : String(value(r.values[0])), r.values[1].value] }));
  c.setOption({
    animation: false, tooltip: { renderMode: "richText", formatter: (p) => `${p.name}: ${p.value[0]}, ${fmt(p.value[1])}` },
    xAxis: { ...xs, name: x }, yAxis: { type: "value", name: y, scale: true },
    series: [{ type: "scatter", data }],
  });
  box.setAttribute("data-points", String(data.length));
}

window.addEventListener("hashchange", render);
render();
