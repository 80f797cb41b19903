// The importance panel: for each config key that varies, how much it matters to a metric (a
// random forest's permutation importance, summing to 1), its correlation with the metric, its
// type and how many runs had it; constant keys and keys a sweep set listed apart.

import { fmt, h } from "./dom.js";
import { api, go, main, with_ } from "./state.js";

export async function importanceView(project, q, params) {
  const [entity, name] = project.split("/");
  const cols = (await api("runs", { ...params, limit: 1 })).columns;
  const asked = cols.summary.includes(q.get("metric")) ? q.get("metric") : null;
  const report = await api("importance", { ...params, ...(asked ? { metric: asked } : {}) });
  main.appendChild(h("div", { className: "toolbar" }, "metric: ",
    h("select", { id: "importance-metric", onchange: (e) => go(["p", entity, name], with_(q, { metric: e.target.value })) },
      cols.summary.map((m) => h("option", { value: m, selected: m === report.metric }, m)))));
  const panel = h("section", { id: "importance-panel", "data-metric": report.metric || "" });
  main.appendChild(panel);
  panel.appendChild(h("p", {}, `${report.metric || "no metric"} over ${report.runs} run${report.runs === 1 ? "" : "s"}`));
  if (report.message) {
    panel.appendChild(h("p", { id: "importance-message" }, report.message));
  } else {
    panel.appendChild(h("table", { id: "importance" },
      h("tr", {}, h("th", {}, "config key"), h("th", {}, "importance"), h("th", {}, "correlation"), h("th", {}, "type"), h("th", {}, "runs")),
      report.keys.map((row) => h("tr", { "data-key": row.key, "data-importance": row.importance },
        h("td", { className: "key" }, row.key.replace(/^config\./, "")),
        h("td", { className: "num" }, h("span", { className: "bar", style: `width: ${Math.round(row.importance * 120)}px` }), " ", row.importance.toFixed(3)),
        h("td", { className: "num" }, correlation(row)),
        h("td", {}, row.type),
        h("td", { className: "num" }, row.runs)))));
  }
  for (const [title, keys, id] of [["constant", report.constant, "importance-constant"], ["set by a sweep", report.fixed_by_sweep, "importance-sweep"]]) {
    if (keys.length) panel.appendChild(h("p", { id, className: "missing" }, `${title}: `, keys.map((k) => k.replace(/^config\./, "")).join(", ")));
  }
  panel.appendChild(h("p", { className: "missing" },
    "importance: random forests cross-fitted over 4 folds, permutation importance normalised to 1; " +
    "correlation: Spearman's ρ for numbers and booleans, Kruskal-Wallis ε² for categories."));
}

function correlation(row) {
  if (row.correlation === null) return "—";
  return row.correlation_method === "epsilon2" ? `ε² ${fmt(row.correlation)}` : `ρ ${row.correlation >= 0 ? "+" : ""}${fmt(row.correlation)}`;
}
