// The runs table: sortable columns, a column chooser, paging, ticking runs, live updates.

import { h, show } from "./dom.js";
import { LIVE_POLL_MS, PAGE, QUIET_POLL_MS, api, go, main, pollLater, refreshSoon, selected, with_ } from "./state.js";

export async function tableView(project, q, params) {
  const [entity, name] = project.split("/");
  const offset = +(q.get("offset") || 0);
  const sort = q.get("sort") || "-created_at";
  const page = await api("runs", { ...params, sort, offset, limit: PAGE });
  const all = [...page.columns.config_varying, ...page.columns.config_same, ...page.columns.summary];
  const chosen = q.get("cols") ? q.get("cols").split(",").filter(Boolean)
    : [...page.columns.config_varying, ...page.columns.summary];
  const sel = new Set(selected(q));

  const chooser = h("details", { className: "columns", id: "column-chooser" }, h("summary", {}, "columns"),
    h("div", {}, all.map((c) => h("label", {}, h("input", { type: "checkbox", value: c, checked: chosen.includes(c),
      onchange: (e) => {
        const next = e.target.checked ? [...chosen, c] : chosen.filter((x) => x !== c);
        go(["p", entity, name], with_(q, { cols: next.join(",") }));
      } }), c, h("br")))));
  const compare = h("button", { id: "compare", disabled: sel.size < 2,
    onclick: () => go(["p", entity, name], with_(q, { view: "diff" })) }, `compare selected (${sel.size})`);
  const count = h("span", { id: "count" });
  const next = h("button", { id: "next", onclick: () => go(["p", entity, name], with_(q, { offset: offset + PAGE })) }, "next ›");
  const showTotal = (total) => {
    count.textContent = ` ${total ? offset + 1 : 0}–${Math.min(offset + PAGE, total)} of ${total} `;
    next.disabled = offset + PAGE >= total;
  };
  showTotal(page.total);
  const pager = h("span", {},
    h("button", { id: "prev", disabled: offset <= 0, onclick: () => go(["p", entity, name], with_(q, { offset: Math.max(0, offset - PAGE) })) }, "‹ prev"),
    count, next);
  main.appendChild(h("div", { className: "toolbar" }, chooser, compare, pager));

  const header = (key, label) => {
    const active = sort.replace(/^[-+]/, "") === key;
    const arrow = active ? (sort.startsWith("-") ? " ▼" : " ▲") : "";
    return h("th", { className: "sortable", "data-key": key, onclick: () =>
      go(["p", entity, name], with_(q, { sort: active && sort.startsWith("-") ? key : "-" + key, offset: null })) },
    label + arrow);
  };
  const short = (c) => c.replace(/^config\./, "").replace(/^summary\./, "↳ ");
  const rowOf = (r) => {
    const box = h("input", { type: "checkbox", className: "select", "data-path": r.path, checked: sel.has(r.path),
      onchange: (e) => {
        const next = new Set(selected(q));
        if (e.target.checked) next.add(r.path); else next.delete(r.path);
        go(["p", entity, name], with_(q, { sel: [...next].join(",") }));
      } });
    const [, , id] = r.path.split("/");
    return h("tr", { "data-path": r.path },
      h("td", {}, box),
      h("td", {}, h("a", { href: "#/run/" + [entity, name, id].map(encodeURIComponent).join("/") }, r.name)),
      h("td", { className: "state-" + r.state }, r.state),
      h("td", {}, (r.created_at || "-").slice(0, 19).replace("T", " ")),
      chosen.map((c) => {
        const [head, ...rest] = c.split(".");
        const source = head === "config" ? r.config : head === "summary" ? r.summary : null;
        const key = rest.join(".");
        const cell = source && key in source ? { value: source[key] } : { missing: true };
        return h("td", { className: typeof cell.value === "number" ? "num" : "" }, show(cell));
      }));
  };
  const table = h("table", { id: "runs" },
    h("tr", {}, h("th", {}, ""), header("name", "name"), header("state", "state"), header("created_at", "created"),
      chosen.map((c) => header(c, short(c)))),
    page.runs.map(rowOf));
  main.appendChild(table);
  // columns picked from a sample while the server reads every run: ask again when it is done
  if (page.columns_partial) refreshSoon(1500);
  else watchTable(page, params, { table, rowOf, showTotal, newestFirst: sort === "-created_at" && offset === 0 });
}

export function watchTable(page, params, { table, rowOf, showTotal, newestFirst }) {
  // ask the server what changed since the page was read, and patch only those rows: a shown
  // run is redrawn in place, a new one counted (and put on top of the first page, newest first)
  const shown = new Map(page.runs.map((r, i) => [r.path, table.rows[i + 1]]));
  let token = page.token;
  let total = page.total;
  const tick = async () => {
    let answer;
    try {
      answer = await api("changes", { ...params, token });
    } catch (err) {
      pollLater(table, QUIET_POLL_MS, tick);
      return;
    }
    if (!table.isConnected) return;
    if (answer.removed) { // runs were deleted: which of them this page shows, only a new read says
      refreshSoon(0);
      return;
    }
    token = answer.token;
    for (const r of [...answer.runs].reverse()) { // oldest first: each new one goes on top
      const old = shown.get(r.path);
      if (old) {
        const row = rowOf(r);
        old.replaceWith(row);
        shown.set(r.path, row);
      } else if (answer.created.includes(r.path)) {
        total += 1;
        if (!newestFirst) continue;
        const row = rowOf(r);
        table.rows[0].after(row);
        shown.set(r.path, row);
      }
    }
    while (shown.size > PAGE) {
      const last = table.rows[table.rows.length - 1];
      shown.delete(last.dataset.path);
      last.remove();
    }
    showTotal(total);
    pollLater(table, answer.live ? LIVE_POLL_MS : QUIET_POLL_MS, tick);
  };
  pollLater(table, LIVE_POLL_MS, tick);
}
