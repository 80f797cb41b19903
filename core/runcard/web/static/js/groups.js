// The groups view: runs grouped by config keys, aggregates of the metrics, curves per group.

import { PALETTE } from "./charts.js";
import { fmt, h, show, value } from "./dom.js";
import { api, go, main, refreshSoon, track, with_ } from "./state.js";

export async function groupsView(project, q, params) {
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
  const c = track(echarts.init(chart));
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

export async function groupCurves(answer, summaryKeys, q, entity, name) {
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
  const c = track(echarts.init(box));
  c.setOption({ animation: false, title: { text: curve, textStyle: { fontSize: 13 } }, tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { top: 20 }, grid: { top: 60 }, xAxis: { type: "value", name: "step" }, yAxis: { type: "value", scale: true }, series });
  box.setAttribute("data-groups", String(bands.filter((b) => b.steps.length).length));
}
