// Chart helpers shared by the views (ECharts is the global `echarts`, loaded by index.html).

import { value } from "./dom.js";
import { api, track } from "./state.js";

export const PALETTE = ["#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452", "#9a60b4"];

export async function lineChart(box, paths, key) {
  const data = await api("series", { runs: paths.join(","), key, points: 1000 });
  const c = track(echarts.init(box));
  c.setOption({
    animation: false, title: { text: key, textStyle: { fontSize: 13 } }, tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { top: 20, data: data.series.map((s) => s.name) }, grid: { top: 60 },
    xAxis: { type: "value", name: "step" }, yAxis: { type: "value", scale: true },
    series: data.series.map((s) => ({ type: "line", name: s.name, showSymbol: s.steps.length < 30, data: s.steps.map((x, i) => [x, s.values[i]]) })),
  });
  box.setAttribute("data-points", String(data.series.reduce((n, s) => n + s.steps.length, 0)));
}

export function axisFor(key, cells) {
  const numeric = cells.every((c) => !c.missing && typeof c.value === "number");
  if (numeric) return { type: "value", name: key, scale: true };
  const cats = [...new Set(cells.map((c) => String(value(c))))].sort();
  return { type: "category", name: key, data: cats };
}
