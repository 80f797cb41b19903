// Chart helpers shared by the views (ECharts is the global `echarts`, loaded by index.html).

import { value } from "./dom.js";

export const PALETTE = ["#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452", "#9a60b4"];

export function axisFor(key, cells) {
  const numeric = cells.every((c) => !c.missing && typeof c.value === "number");
  if (numeric) return { type: "value", name: key, scale: true };
  const cats = [...new Set(cells.map((c) => String(value(c))))].sort();
  return { type: "category", name: key, data: cats };
}
