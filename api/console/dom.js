// Small helpers to build the DOM safely: text is always set as text, never parsed as HTML.

/** `h('button', { class: 'x', onclick: f }, 'Label')`: an element with properties and children. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'value') el.value = value;
    else if (key === 'checked' || key === 'disabled' || key === 'selected') el[key] = Boolean(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children, keeping keyboard focus on the element of the same id. */
export function replace(el, ...children) {
  const focused = document.activeElement && document.activeElement.id;
  el.replaceChildren();
  append(el, children);
  if (focused && el.querySelector(`#${CSS.escape(focused)}`)) document.getElementById(focused).focus();
}

/** A status chip whose colour follows the status word. */
export function chip(status, label) {
  return h('span', { class: `chip ${status}` }, label || status);
}

export function when(instant) {
  if (!instant) return '—';
  const d = new Date(instant);
  return h('time', { datetime: instant, title: instant }, d.toLocaleString());
}

export function duration(job) {
  if (!job.startedAt) return '—';
  const end = job.finishedAt ? new Date(job.finishedAt) : new Date();
  const ms = end - new Date(job.startedAt);
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** A table with a caption-like label, header cells and rows of cells. */
export function table(label, headers, rows, empty = 'Nothing yet.') {
  if (!rows.length) return h('p', { class: 'muted' }, empty);
  return h('table', { 'aria-label': label },
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c) => h('td', {}, c))))));
}

const notice = () => document.getElementById('notice');

/** Says something in the live region (an error, or a confirmation). */
export function say(message, kind = 'ok') {
  replace(notice(), h('p', { class: kind }, message));
}

export function clearNotice() {
  notice().replaceChildren();
}
