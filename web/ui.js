// ui.js: small DOM helpers shared by the pages. No inline styles and no
// inline event handlers anywhere (the server's CSP forbids both): state is
// shown with classes, the hidden attribute and aria-* attributes.

// h('tag.class#id', {attr: value, onclick: fn}, ...children)
export function h(spec, attrs, ...children) {
  const m = /^([a-z0-9-]+)?((?:[.#][\w-]+)*)$/i.exec(spec);
  const el = document.createElement((m && m[1]) || 'div');
  if (m && m[2]) {
    for (const part of m[2].match(/[.#][\w-]+/g)) {
      if (part[0] === '.') el.classList.add(part.slice(1));
      else el.id = part.slice(1);
    }
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// Run fn with button disabled and aria-busy; restores the button after.
export async function busy(button, fn) {
  const buttons = Array.isArray(button) ? button : [button];
  for (const b of buttons) {
    if (!b) continue;
    b.disabled = true;
    b.setAttribute('aria-busy', 'true');
  }
  try {
    return await fn();
  } finally {
    for (const b of buttons) {
      if (!b) continue;
      b.disabled = false;
      b.removeAttribute('aria-busy');
    }
  }
}

// A live region for results and problems: message(box, 'error'|'ok'|'info', text)
export function messageBox() {
  return h('div.message', { role: 'status', hidden: true });
}

export function say(box, kind, text) {
  if (!text) {
    box.hidden = true;
    box.textContent = '';
    return;
  }
  box.className = 'message ' + kind;
  box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  box.textContent = text;
  box.hidden = false;
}

// The message for an error: the API's problem detail, or a plain sentence.
export function problemText(err) {
  if (!err) return '';
  if (err.status === 403) return 'Not allowed: ' + err.message;
  return err.message || String(err);
}

// Modal dialog. openDialog({title, body, buttons, initialFocus, returnFocus})
// where buttons is [{label, kind, action}], action(dialogApi) returning a
// promise; the button is busy while it runs. Escape and Cancel close the
// dialog (unless a button is busy); focus returns to returnFocus.
// Returns {el, close, setBody, buttons}.
export function openDialog({ title, body, buttons = [], initialFocus, returnFocus, label, className }) {
  const titleId = 'dlg-title-' + Math.random().toString(36).slice(2, 8);
  const bodyEl = h('div.dialog-body');
  const foot = h('div.dialog-buttons');
  const dlg = h('dialog.dialog', { 'aria-labelledby': titleId, class: 'dialog ' + (className || '') },
    h('form.dialog-form', { method: 'dialog', novalidate: true },
      h('h2.dialog-title', { id: titleId }, title),
      bodyEl,
      foot));
  if (label) dlg.setAttribute('aria-label', label);
  let busyNow = false;
  const api = {
    el: dlg,
    body: bodyEl,
    buttons: {},
    close() {
      if (dlg.open) dlg.close();
    },
    setBody(...nodes) {
      bodyEl.replaceChildren();
      append(bodyEl, nodes);
    },
    setButtons(list) {
      foot.replaceChildren();
      api.buttons = {};
      for (const b of list) {
        const btn = h('button', { type: b.submit ? 'submit' : 'button', class: b.kind || '' }, b.label);
        if (b.id) btn.id = b.id;
        api.buttons[b.name || b.label] = btn;
        btn.addEventListener('click', async (ev) => {
          ev.preventDefault();
          if (!b.action) {
            api.close();
            return;
          }
          // While it waits: this button busy, the others (Cancel) disabled.
          const others = [...foot.querySelectorAll('button')].filter((x) => x !== btn && !x.disabled);
          busyNow = true;
          for (const o of others) o.disabled = true;
          try {
            await busy(btn, () => b.action(api));
          } finally {
            busyNow = false;
            for (const o of others) o.disabled = false;
          }
        });
        foot.append(btn);
      }
    },
  };
  api.setBody(body);
  api.setButtons(buttons);
  // Enter in a text field presses the first "submit" button.
  dlg.querySelector('form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const primary = foot.querySelector('button[type=submit]');
    if (primary && !primary.disabled) primary.click();
  });
  dlg.addEventListener('cancel', (ev) => {
    if (busyNow) ev.preventDefault();
  });
  dlg.addEventListener('close', () => {
    dlg.remove();
    const back = returnFocus && returnFocus.isConnected ? returnFocus : document.getElementById('main');
    if (back) back.focus();
  });
  document.body.append(dlg);
  dlg.showModal();
  const first = typeof initialFocus === 'function' ? initialFocus(api) : initialFocus;
  if (first) first.focus();
  return api;
}

export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function timeEl(iso) {
  if (!iso) return '—';
  return h('time', { datetime: iso, title: iso }, fmtTime(iso));
}

// "+14255550100" -> "+1 425 555 0100" for North American numbers; others as is.
// The emails format numbers the same way: e164_format in src/core/e164.c.
export function fmtNumber(e164) {
  if (!e164) return '—';
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  return m ? `+1 ${m[1]} ${m[2]} ${m[3]}` : e164;
}

// A table: columns [{label, cell(row) -> node|string, className}].
export function table(caption, columns, rows, { empty = 'Nothing to show.' } = {}) {
  if (!rows.length) return h('p.empty', empty);
  return h('div.table-wrap',
    h('table',
      h('caption.visually-hidden', caption),
      h('thead', h('tr', columns.map((c) => h('th', { scope: 'col' }, c.label)))),
      h('tbody', rows.map((r) => h('tr', columns.map((c) => {
        const td = h('td', { class: c.className || null }, c.cell(r));
        td.dataset.label = c.label;
        return td;
      }))))));
}

// Page header with an h1 that takes focus after a route change.
export function pageHeader(title, ...extra) {
  return h('div.page-header', h('h1', { tabindex: '-1' }, title), extra);
}

// Labelled field: field('Label', input, help?)
export function field(labelText, input, help) {
  if (!input.id) input.id = 'f-' + Math.random().toString(36).slice(2, 9);
  const parts = [h('label', { for: input.id }, labelText), input];
  if (help) {
    const helpId = input.id + '-help';
    input.setAttribute('aria-describedby', helpId);
    parts.push(h('p.help', { id: helpId }, help));
  }
  return h('div.field', parts);
}

export function checkField(labelText, input, help) {
  if (!input.id) input.id = 'f-' + Math.random().toString(36).slice(2, 9);
  const parts = [h('div.check', input, h('label', { for: input.id }, labelText))];
  if (help) {
    const helpId = input.id + '-help';
    input.setAttribute('aria-describedby', helpId);
    parts.push(h('p.help', { id: helpId }, help));
  }
  return h('div.field.field-check', parts);
}
