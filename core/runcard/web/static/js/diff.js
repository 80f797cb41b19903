// Runs ticked in the table, on one page the URL names (sel=PATH,PATH,...): the config keys that
// differ, the summaries side by side, and their curves overlaid with the chart controls.

import { curveControls, curveSettings, overlayChart } from "./curves.js";
import { h, show } from "./dom.js";
import { api, go, main, selected, with_ } from "./state.js";

export async function diffView(project, q) {
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
    const change = (changes) => go(["p", entity, name], with_(q, changes));
    main.appendChild(h("div", { className: "toolbar" }, "overlay metric: ",
      h("select", { id: "overlay-metric", onchange: (e) => change({ metric: e.target.value }) },
        metrics.map((m) => h("option", { value: m, selected: m === metric }, m)))));
    main.appendChild(curveControls(q, change, metrics));
    const box = h("div", { className: "chart wide", id: "overlay" });
    main.appendChild(box);
    await overlayChart(box, sel, metric, curveSettings(q));
  }
}
