// What every view shares: the page's two containers, the URL state, the JSON API, the
// charts on screen and the view's poll timer.

import { h } from "./dom.js";

export const PAGE = 50;
export const LIVE_POLL_MS = 2000; // a view with a live run asks what changed this often
export const QUIET_POLL_MS = 15000; // otherwise this often: a run may start
export const main = document.getElementById("main");
export const crumbs = document.getElementById("crumbs");
let charts = [];
let poll = null; // the pending timer of the view on screen
let resume = null; // the poll put off while the page was hidden
let render = null; // the router's render(), set by main.js

export function onRender(fn) {
  render = fn;
}

export function track(chart) {
  // a chart of the view on screen, disposed when the view changes
  charts.push(chart);
  return chart;
}

export function resetView() {
  resume = null;
  clearTimeout(poll);
  charts.forEach((c) => c.dispose());
  charts = [];
  main.replaceChildren();
  crumbs.replaceChildren();
}

export function refreshSoon(ms) {
  // re-render the same view later (answers the server marked stale or partial), unless the
  // user moved on or is typing
  const hash = location.hash;
  clearTimeout(poll);
  poll = setTimeout(() => {
    const typing = document.activeElement && ["INPUT", "SELECT"].includes(document.activeElement.tagName);
    if (location.hash === hash && !typing) render();
    else if (location.hash === hash) refreshSoon(ms);
  }, ms);
}

export function pollLater(owner, ms, tick) {
  // run tick after ms while owner (the element it updates) is still on screen; a hidden page
  // waits until it is shown again
  if (!owner.isConnected) return;
  clearTimeout(poll);
  poll = setTimeout(() => {
    if (!owner.isConnected) return;
    if (document.hidden) resume = tick;
    else tick();
  }, ms);
}

document.addEventListener("visibilitychange", () => {
  if (document.hidden || !resume) return;
  const tick = resume;
  resume = null;
  tick();
});

export function route() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query] = hash.split("?");
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), q: new URLSearchParams(query || "") };
}

export function go(parts, q) {
  const query = q && [...q.keys()].length ? "?" + q.toString() : "";
  location.hash = "#/" + parts.map(encodeURIComponent).join("/") + query;
}

export function with_(q, changes) {
  const next = new URLSearchParams(q);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === "") next.delete(k);
    else next.set(k, v);
  }
  return next;
}

export async function api(path, params) {
  const url = "/api/" + path + (params ? "?" + new URLSearchParams(params).toString() : "");
  const res = await fetch(url);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body;
}

export function fail(err) {
  main.appendChild(h("p", { className: "error", id: "error" }, String(err.message || err)));
}

export function selected(q) {
  return (q.get("sel") || "").split(",").filter(Boolean);
}
