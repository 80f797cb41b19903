// One run's page: charts of its metrics (extended while it is live), config with provenance,
// summary and host.

import { flatRows, h, plain } from "./dom.js";
import { LIVE_POLL_MS, QUIET_POLL_MS, api, crumbs, main, pollLater, track } from "./state.js";

export async function runView(path) {
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
    flatRows(r.config).map(([k, v]) => h("tr", { "data-key": k },
      h("td", { title: r.descriptions[k] || "" }, k, r.descriptions[k] ? " ⓘ" : ""), h("td", {}, plain(v)),
      h("td", { className: "provenance" }, provenance(r.provenance[k] || []))))));
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

export const MAX_RUN_CHARTS = 24;

export function runChart(grid, key, name, series) {
  // one metric of the run page: its points kept so that later ones are appended, not refetched
  const box = h("div", { className: "chart", "data-key": key });
  grid.appendChild(box);
  const c = track(echarts.init(box));
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

export function extend(plot, series) {
  series.steps.forEach((x, i) => plot.data.push([x, series.values[i]]));
  plot.last = series.last_step;
  plot.chart.setOption({ series: [{ data: plot.data, showSymbol: plot.data.length < 30 }] });
  plot.box.setAttribute("data-points", String(plot.data.length));
}

export function watchRun(r, plots, grid, { state, showSummary }) {
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

function revision(rev) {
  // as `runcard config blame` writes it: the source, then where (file:line, a flag, a file)
  const where = rev.detail && rev.detail !== "removed" ? " " + rev.detail : "";
  return `${rev.source}${where}${rev.step !== null && rev.step !== undefined ? " at step " + rev.step : ""}`;
}

function provenance(revs) {
  // the last revision inline; earlier ones, with their values, one click away
  if (!revs.length) return "";
  const last = revs[revs.length - 1];
  const inline = h("span", { className: "source" }, revision(last));
  if (revs.length === 1) return inline;
  return [inline, " ", h("details", { className: "revisions" }, h("summary", {}, `${revs.length} revisions`),
    revs.map((rev) => h("div", {}, revision(rev), ": ", plain(rev.value))))];
}
