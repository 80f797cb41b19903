// The groups view: runs grouped by config keys, every numeric summary metric aggregated (mean ±
// std, 95 % CI, n) as the CLI shows them, a bar chart of the chosen metric, curves per group.

import { fmt, h, show, value } from "./dom.js";
import { bandChart, curveControls, curveSettings } from "./curves.js";
import { api, go, main, refreshSoon, track, with_ } from "./state.js";

const MAX_CURVE_GROUPS = 8;

export function varies(groups, metric) {
  // whether the metric's value differs between runs: within a group, or between groups' means
  const stats = groups.map((g) => g.stats[metric] || {}).filter((s) => s.n);
  return stats.some((s) => s.min !== s.max) || new Set(stats.map((s) => s.mean)).size > 1;
}

export async function groupsView(project, q, params) {
  const [entity, name] = project.split("/");
  const change = (changes) => go(["p", entity, name], with_(q, changes));
  const cols = (await api("runs", { ...params, limit: 1 })).columns;
  const keys = [...cols.config_varying, ...cols.config_same];
  const by = (q.get("by") || "").split(",").filter(Boolean);
  const except = (q.get("except") || "").split(",").filter(Boolean);
  const keyBoxes = h("span", { id: "group-keys" }, "group by: ", keys.map((k) => h("label", {},
    h("input", { type: "checkbox", value: k, checked: by.includes(k), onchange: (e) => {
      const next = e.target.checked ? [...by, k] : by.filter((x) => x !== k);
      change({ by: next.join(","), except: null });
    } }), k.replace(/^config\./, ""), " ")));
  const seed = keys.find((k) => /(^|\.)seed$/.test(k));
  const allBut = seed ? h("button", { id: "all-except-seed", onclick: () => change({ except: seed, by: null }) },
    "all except " + seed.replace(/^config\./, "")) : null;
  const toolbar = h("div", { className: "toolbar" }, keyBoxes, allBut);
  main.appendChild(toolbar);
  if (!by.length && !except.length) {
    main.appendChild(h("p", {}, "Choose one or more config keys to group by."));
    return;
  }
  const answer = await api("groups", { ...params, ...(by.length ? { by: by.join(",") } : {}),
    ...(except.length ? { all_except: except.join(",") } : {}), ...(cols.summary.length ? { metric: cols.summary.join(",") } : {}) });
  if (answer.stale) refreshSoon(1500);
  const metrics = answer.metrics;
  const asked = q.get("metric");
  const metric = metrics.includes(asked) ? asked : metrics.find((m) => varies(answer.groups, m)) || metrics[0] || "";
  toolbar.append(" chart: ", h("select", { id: "group-metric", onchange: (e) => change({ metric: e.target.value }) },
    metrics.map((m) => h("option", { value: m, selected: m === metric }, m))));
  main.appendChild(groupsTable(answer, metric, change));
  if (!metric) return;
  const stats = (g) => g.stats[metric] || {};
  const chart = h("div", { className: "chart wide", id: "group-chart", "data-metric": metric });
  main.appendChild(chart);
  const labels = answer.groups.map((g) => g.values.map(value).join(", "));
  const c = track(echarts.init(chart));
  c.setOption({
    animation: false, title: { text: metric, textStyle: { fontSize: 13 } }, tooltip: { renderMode: "richText" },
    xAxis: { type: "category", data: labels }, yAxis: { type: "value", scale: true },
    series: [{ type: "bar", name: metric, data: answer.groups.map((g) => stats(g).mean) },
      { type: "custom", name: "95% CI", renderItem: (params, api) => {
        const lo = api.coord([api.value(0), api.value(1)]);
        const hi = api.coord([api.value(0), api.value(2)]);
        return { type: "line", shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style: { stroke: "#111", lineWidth: 2 } };
      }, data: answer.groups.map((g, i) => stats(g).ci95 ? [i, stats(g).ci95[0], stats(g).ci95[1]] : [i, null, null]) }],
  });
  await groupCurves(answer, cols.summary, q, change);
}

function groupsTable(answer, chosen, change) {
  // one row per group; per metric three columns, the chosen metric's marked; a click on a
  // metric's header charts it
  const cellsOf = (s, m) => [
    h("td", { className: "num mean", "data-metric": m, "data-mean": s.mean === null || s.mean === undefined ? "" : s.mean },
      s.mean === null || s.mean === undefined ? "—" : fmt(s.mean) + (s.std === null || s.std === undefined ? "" : " ± " + fmt(s.std))),
    h("td", { className: "num ci", "data-metric": m }, s.ci95 ? `[${fmt(s.ci95[0])}, ${fmt(s.ci95[1])}]` : "—"),
    h("td", { className: "num n", "data-metric": m }, s.n === undefined ? 0 : s.n)];
  const keyCount = answer.keys.length + 1;
  return h("table", { id: "groups" },
    h("tr", {}, h("th", { colspan: keyCount }, ""), answer.metrics.map((m) =>
      h("th", { colspan: 3, className: "sortable metric" + (m === chosen ? " chosen" : ""), "data-metric": m,
        title: "chart this metric", onclick: () => change({ metric: m }) }, m.replace(/^summary\./, "")))),
    h("tr", {}, answer.keys.map((k) => h("th", {}, k.replace(/^config\./, ""))), h("th", {}, "runs"),
      answer.metrics.flatMap(() => [h("th", {}, "mean ± std"), h("th", {}, "95% CI"), h("th", {}, "n")])),
    answer.groups.map((g) => h("tr", { className: "group" },
      g.values.map((c) => h("td", { className: "key" }, show(c))),
      h("td", { className: "num count" }, g.count),
      answer.metrics.flatMap((m) => cellsOf(g.stats[m] || {}, m)))));
}

async function groupCurves(answer, summaryKeys, q, change) {
  // each group's curve of a logged metric: the mean over its runs with a band, up to 8 groups
  const metrics = summaryKeys.map((m) => m.replace(/^summary\./, ""));
  if (!metrics.length) return;
  const curve = metrics.includes(q.get("curve")) ? q.get("curve") : metrics[0];
  main.appendChild(h("div", { className: "toolbar" }, "curves per group: ",
    h("select", { id: "curve-metric", onchange: (e) => change({ curve: e.target.value }) },
      metrics.map((m) => h("option", { value: m, selected: m === curve }, m)))));
  main.appendChild(curveControls(q, change, metrics, { band: true }));
  const box = h("div", { className: "chart wide", id: "group-curves" });
  main.appendChild(box);
  const groups = answer.groups.slice(0, MAX_CURVE_GROUPS)
    .map((g) => ({ label: g.values.map(value).join(", "), runs: g.runs.slice(0, 50) }));
  await bandChart(box, groups, curve, curveSettings(q));
}
