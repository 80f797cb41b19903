// Parallel coordinates and the scatter plot of a config key against a metric.

import { axisFor } from "./charts.js";
import { fmt, h, value } from "./dom.js";
import { api, go, main, track, with_ } from "./state.js";

export async function parallelView(project, q, params) {
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
  const c = track(echarts.init(box));
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

export async function scatterView(project, q, params) {
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
  const c = track(echarts.init(box));
  const data = pts.runs.filter((r) => typeof r.values[1].value === "number")
    .map((r) => ({ name: r.name, value: [xs.type === "value" ? r.values[0].value : String(value(r.values[0])), r.values[1].value] }));
  c.setOption({
    animation: false, tooltip: { renderMode: "richText", formatter: (p) => `${p.name}: ${p.value[0]}, ${fmt(p.value[1])}` },
    xAxis: { ...xs, name: x }, yAxis: { type: "value", name: y, scale: true },
    series: [{ type: "scatter", data }],
  });
  box.setAttribute("data-points", String(data.length));
}
