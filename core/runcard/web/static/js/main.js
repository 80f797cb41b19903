// runcard web app: a single page over the JSON API under /api; this module routes the URL's
// hash to a view.

import { diffView } from "./diff.js";
import { h } from "./dom.js";
import { groupsView } from "./groups.js";
import { importanceView } from "./importance.js";
import { parallelView, scatterView } from "./plots.js";
import { runView } from "./run.js";
import { api, crumbs, fail, go, main, onRender, resetView, route, with_ } from "./state.js";
import { tableView } from "./table.js";

async function render() {
  resetView();
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

const VIEWS = ["table", "groups", "diff", "importance", "parallel", "scatter"];

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
  else if (view === "importance") await importanceView(project, q, params);
  else if (view === "parallel") await parallelView(project, q, params);
  else if (view === "scatter") await scatterView(project, q, params);
  else await tableView(project, q, params);
}

onRender(render);
window.addEventListener("hashchange", render);
render();
