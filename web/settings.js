// settings.js: #/settings — every setting GET /api/v1/settings answers, as a
// typed input (checkbox, bounded number, text); Save sends only the changes
// with PATCH (all or nothing on the server) and shows a 400's detail.
// Groups, labels, units, help and bounds come from the server's settings
// table (GET /api/v1/meta, src/core/settings.c); a setting it does not
// describe is still shown, by its JSON type, under "Other".
import * as api from './api.js';
import { h, busy, say, messageBox, pageHeader, field, checkField, problemText } from './ui.js';

// "someSettingName" -> "Some setting name"
function humanize(name) {
  const s = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export async function settingsPage(ctx) {
  const msg = messageBox();
  const form = h('form.card.settings', { novalidate: true });
  ctx.main.append(pageHeader('Settings'), msg, form);

  let current;
  let defs;
  let groups;
  try {
    const [values, meta] = await Promise.all([api.get('/settings'), api.meta()]);
    current = values;
    defs = new Map(meta.settings.map((d) => [d.name, d]));
    groups = new Map([...meta.settingGroups, 'Other'].map((g) => [g, []]));
  } catch (err) {
    if (ctx.alive()) say(msg, 'error', problemText(err));
    return;
  }
  if (!ctx.alive()) return;

  const labelOf = (name) => {
    const d = defs.get(name);
    if (!d) return humanize(name);
    return d.unit ? `${d.label} (${d.unit})` : d.label;
  };

  const inputs = {};
  for (const [name, value] of Object.entries(current)) {
    const d = defs.get(name);
    const fields = (d && groups.get(d.group)) || groups.get('Other');
    const label = labelOf(name);
    const id = 'setting-' + name;
    let help = d ? d.help : null;
    let input;
    if (typeof value === 'boolean') {
      input = h('input', { type: 'checkbox', id, name, checked: value });
      fields.push(checkField(label, input, help));
    } else if (typeof value === 'number') {
      const bounded = d && d.type === 'integer';
      if (bounded) help = `${help} From ${d.min} to ${d.max}${d.unit ? ' ' + d.unit : ''}.`;
      input = h('input', { type: 'number', id, name, value: String(value), step: '1', inputmode: 'numeric',
        min: bounded ? String(d.min) : null, max: bounded ? String(d.max) : null });
      fields.push(field(label, input, help));
    } else {
      const text = d && (d.type === 'string' || d.type === 'email');
      // A secret reads back as "set" or "": shown masked; typing replaces it, clearing removes it.
      const type = d && d.secret ? 'password' : d && d.type === 'email' ? 'email' : 'text';
      input = h('input', { type, id, name, value: value === null ? '' : String(value),
        maxlength: text ? String(d.max) : null, autocomplete: d && d.secret ? 'new-password' : 'off' });
      fields.push(field(label, input, help));
    }
    inputs[name] = input;
  }
  const save = h('button.primary', { type: 'submit' }, 'Save');
  const reset = h('button', { type: 'button' }, 'Undo changes');
  for (const [legend, fields] of groups) {
    if (fields.length) form.append(h('fieldset', h('legend', legend), fields));
  }
  form.append(h('div.form-buttons', save, reset));

  function readValue(name) {
    const input = inputs[name];
    const was = current[name];
    if (typeof was === 'boolean') return input.checked;
    if (typeof was === 'number') return input.value.trim() === '' ? NaN : Number(input.value);
    return input.value;
  }

  function fill() {
    for (const [name, input] of Object.entries(inputs)) {
      const v = current[name];
      if (typeof v === 'boolean') input.checked = v;
      else input.value = v === null ? '' : String(v);
      input.removeAttribute('aria-invalid');
    }
  }

  reset.addEventListener('click', () => {
    fill();
    say(msg, '', '');
  });

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const changes = {};
    for (const input of Object.values(inputs)) input.removeAttribute('aria-invalid');
    for (const name of Object.keys(inputs)) {
      const v = readValue(name);
      if (typeof current[name] === 'number') {
        const d = defs.get(name);
        const bounded = d && d.type === 'integer';
        if (!Number.isInteger(v) || (bounded && (v < d.min || v > d.max))) {
          inputs[name].setAttribute('aria-invalid', 'true');
          inputs[name].focus();
          const bounds = bounded ? ` between ${d.min} and ${d.max}` : '';
          say(msg, 'error', `${labelOf(name)} must be a whole number${bounds}.`);
          return;
        }
      }
      if (v !== current[name]) changes[name] = v;
    }
    if (!Object.keys(changes).length) {
      say(msg, 'info', 'Nothing to save: no setting was changed.');
      return;
    }
    await busy(save, async () => {
      try {
        current = await api.patch('/settings', changes);
        fill();
        say(msg, 'ok', `Settings saved (${Object.keys(changes).map((n) => defs.get(n)?.label || humanize(n)).join(', ')}).`);
      } catch (err) {
        say(msg, 'error', err.status === 400 ? `Not saved: ${err.message}` : problemText(err));
        // Point at the setting the server named, if any.
        const named = Object.keys(changes).find((n) => err.message.includes(n));
        if (named) inputs[named].setAttribute('aria-invalid', 'true');
      }
    });
  });
}
