// Curves with the chart controls, kept in the URL: the x axis (step, wall time, relative time or
// a logged key such as epoch), exponential smoothing (the raw curve drawn faint behind), a
// linear or log y axis, and for groups a band of ± std or min / max.

import { PALETTE } from "./charts.js";
import { h } from "./dom.js";
import { api, track } from "./state.js";

const X_NAMES = { step: "step", wall: "wall time", relative: "relative time (s)" };

export function curveSettings(q) {
  const smooth = Math.min(0.99, Math.max(0, Number(q.get("smooth")) || 0));
  return { x: q.get("x") || "step", smooth, logy: q.get("logy") === "1", band: q.get("band") === "minmax" ? "minmax" : "std" };
}

export function curveControls(q, change, metrics, { band = false } = {}) {
  // change({param: value}) moves to the URL with those settings (null: the default)
  const s = curveSettings(q);
  const xs = [...Object.entries(X_NAMES), ...metrics.filter((m) => !(m in X_NAMES)).map((m) => [m, m])];
  const shown = h("span", { id: "smooth-value" }, s.smooth.toFixed(2));
  return h("div", { className: "toolbar", id: "curve-controls" },
    "x: ", h("select", { id: "x-axis", onchange: (e) => change({ x: e.target.value === "step" ? null : e.target.value }) },
      xs.map(([v, label]) => h("option", { value: v, selected: v === s.x }, label))),
    " smoothing: ", h("input", { type: "range", id: "smoothing", min: 0, max: 0.99, step: 0.01, value: s.smooth,
      oninput: (e) => { shown.textContent = Number(e.target.value).toFixed(2); },
      onchange: (e) => change({ smooth: Number(e.target.value) ? e.target.value : null }) }), shown,
    " ", h("label", {}, h("input", { type: "checkbox", id: "log-y", checked: s.logy,
      onchange: (e) => change({ logy: e.target.checked ? "1" : null }) }), " log y"),
    band ? [" band: ", h("select", { id: "band", onchange: (e) => change({ band: e.target.value === "std" ? null : e.target.value }) },
      h("option", { value: "std", selected: s.band === "std" }, "mean ± std"),
      h("option", { value: "minmax", selected: s.band === "minmax" }, "min / max"))] : null);
}

export function smooth(ys, alpha) {
  // an exponential moving average, debiased so that the first points are not pulled to 0
  if (!alpha) return ys;
  let average = 0;
  let weight = 0;
  return ys.map((y) => {
    if (y === null) return null;
    average = alpha * average + (1 - alpha) * y;
    weight = alpha * weight + (1 - alpha);
    return average / weight;
  });
}

function xOf(s, x) {
  return s.x === "wall" ? x * 1000 : x; // ECharts' time axis counts milliseconds
}

function yOf(s, y) {
  return s.logy && !(y > 0) ? null : y; // a log axis has no place for 0 or below
}

function axes(s, key) {
  return {
    xAxis: s.x === "wall" ? { type: "time", name: X_NAMES.wall } : { type: "value", name: X_NAMES[s.x] || s.x, scale: s.x !== "step" },
    yAxis: s.logy ? { type: "log", name: key } : { type: "value", name: key, scale: true },
  };
}

function lines(name, color, xs, ys, s) {
  // the smoothed curve, with the raw one faint behind it when smoothing is on
  const pairs = (values) => xs.map((x, i) => [x, values[i]]);
  const drawn = { type: "line", name, color, showSymbol: xs.length < 30, data: pairs(smooth(ys, s.smooth)) };
  if (!s.smooth) return [drawn];
  const raw = { type: "line", name, color, showSymbol: false, silent: true, tooltip: { show: false },
    lineStyle: { opacity: 0.25 }, data: pairs(ys), z: 1 };
  return [raw, { ...drawn, z: 2 }];
}

export async function overlayChart(box, paths, key, s) {
  // one curve per run, on one chart
  const data = await api("curves", { runs: paths.join(","), key, x: s.x, points: 1000 });
  const series = data.series.flatMap((r, i) =>
    lines(r.name, PALETTE[i % PALETTE.length], r.x.map((x) => xOf(s, x)), r.y.map((y) => yOf(s, y)), s));
  const c = track(echarts.init(box));
  c.setOption({ animation: false, title: { text: key, textStyle: { fontSize: 13 } }, tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { top: 20, data: data.series.map((r) => r.name) }, grid: { top: 60 }, ...axes(s, key), series });
  box.setAttribute("data-runs", String(data.series.length));
  box.setAttribute("data-points", String(data.series.reduce((n, r) => n + r.x.length, 0)));
}

export async function bandChart(box, groups, key, s) {
  // per group ([{label, runs}]): the mean curve over its runs with a band of ± std or min / max
  const answers = await Promise.all(groups.map((g) =>
    api("curves", { runs: g.runs.join(","), key, x: s.x, spread: 1, points: 200 })));
  const series = [];
  answers.forEach((b, i) => {
    const color = PALETTE[i % PALETTE.length];
    const xs = b.steps.map((x) => xOf(s, x));
    const [lo, hi] = s.band === "minmax" ? [b.min, b.max] : [b.low, b.high];
    const outline = [...xs.map((x, j) => [x, yOf(s, hi[j])]), ...xs.map((x, j) => [x, yOf(s, lo[j])]).reverse()]
      .filter((p) => p[1] !== null);
    // one polygon per group; every outline point is data so the axes make room for the band
    series.push({ type: "custom", name: groups[i].label, silent: true, tooltip: { show: false }, data: outline,
      renderItem: (params, api) => (params.dataIndex !== 0 ? null : { type: "polygon",
        shape: { points: outline.map((p) => api.coord(p)) }, style: { fill: color, opacity: 0.2 } }) });
    series.push(...lines(groups[i].label, color, xs, b.mean.map((y) => yOf(s, y)), s));
  });
  const c = track(echarts.init(box));
  c.setOption({ animation: false, title: { text: key, textStyle: { fontSize: 13 } }, tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { top: 20 }, grid: { top: 60 }, ...axes(s, key), series });
  box.setAttribute("data-groups", String(answers.filter((b) => b.steps.length).length));
  box.setAttribute("data-band", s.band);
}
