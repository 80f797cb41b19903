// DOM and formatting helpers. Every value from the store goes into the page as text
// (textContent / createTextNode), never parsed as HTML.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "className") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function show(cell) {
  // a cell is {missing: true} or {value: v}; returns a span holding the value as text
  if (!cell || cell.missing) return h("span", { className: "missing", title: "missing" }, "—");
  return plain(cell.value);
}

export function plain(v) {
  if (v === null) return h("span", { className: "null" }, "null");
  if (typeof v === "number") return h("span", {}, fmt(v));
  if (typeof v === "object") return h("span", {}, JSON.stringify(v));
  return h("span", {}, String(v));
}

export function fmt(v) {
  if (typeof v !== "number") return String(v);
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(3) : String(+v.toPrecision(5));
}

export function value(cell) {
  if (!cell || cell.missing) return "(missing)";
  if (cell.value === null) return "null";
  return typeof cell.value === "object" ? JSON.stringify(cell.value) : cell.value;
}

export function flatRows(obj, prefix = "") {
  const rows = [];
  for (const [k, v] of Object.entries(obj || {})) {
    if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length) rows.push(...flatRows(v, prefix + k + "."));
    else rows.push([prefix + k, v]);
  }
  return rows;
}
