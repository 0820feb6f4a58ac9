// numbers.js: #/numbers — the organization's dial-in numbers: list, add,
// remove, set default (one default per type).
import * as api from './api.js';
import { h, busy, say, messageBox, pageHeader, table, field, checkField, openDialog, problemText, fmtNumber } from './ui.js';

const TYPE_LABEL = { toll: 'Toll', tollFree: 'Toll-free' };

export async function numbersPage(ctx) {
  const msg = messageBox();
  const list = h('div');
  const addBtn = h('button.primary', { type: 'button' }, 'Add number');
  ctx.main.append(pageHeader('Dial-in numbers', addBtn),
    h('p.muted', 'Callers dial one of these numbers and enter a conference ID. Every number reaches every conference.'),
    msg, list);

  async function load() {
    try {
      const data = await api.get('/dial-in-numbers');
      if (!ctx.alive()) return;
      render(data.numbers || []);
    } catch (err) {
      if (ctx.alive()) say(msg, 'error', problemText(err));
    }
  }

  function render(numbers) {
    list.replaceChildren(table('Dial-in numbers', [
      { label: 'Number', className: 'mono', cell: (n) => fmtNumber(n.number) },
      { label: 'Type', cell: (n) => TYPE_LABEL[n.type] || n.type },
      { label: 'Country', cell: (n) => n.countryCode || '—' },
      { label: 'City', cell: (n) => n.city || '—' },
      { label: 'Languages', cell: (n) => (n.languages || []).join(', ') || '—' },
      { label: 'Default', cell: (n) => (n.isDefault ? h('span.badge.on', 'Default') : '') },
      { label: 'Actions', cell: (n) => h('div.row-actions',
        n.isDefault ? null : h('button', { type: 'button', 'aria-label': `Set ${n.number} as default ${TYPE_LABEL[n.type] || n.type} number`,
          onclick: (ev) => setDefault(ev.currentTarget, n) }, 'Set default'),
        h('button.danger-outline', { type: 'button', 'aria-label': `Remove ${n.number}`,
          onclick: (ev) => removeDialog(ev.currentTarget, n) }, 'Remove')) },
    ], numbers, { empty: 'No dial-in numbers yet. Add one so callers can reach conferences.' }));
  }

  async function setDefault(btn, n) {
    await busy(btn, async () => {
      try {
        await api.patch(`/dial-in-numbers/${api.enc(n.number)}`, { isDefault: true });
        say(msg, 'ok', `${fmtNumber(n.number)} is now the default ${TYPE_LABEL[n.type].toLowerCase()} number.`);
        await load();
      } catch (err) {
        say(msg, 'error', problemText(err));
      }
    });
    const h1 = ctx.main.querySelector('h1');
    if (btn.isConnected) btn.focus();
    else if (h1) h1.focus();
  }

  function removeDialog(opener, n) {
    const dmsg = messageBox();
    openDialog({
      title: 'Remove dial-in number',
      returnFocus: opener,
      initialFocus: (d) => d.buttons.Cancel,
      body: [h('p', `Remove ${fmtNumber(n.number)}? Callers can no longer reach conferences through it.`), dmsg],
      buttons: [
        { label: 'Remove', kind: 'danger', action: async (dlg) => {
          try {
            const r = await api.del(`/dial-in-numbers/${api.enc(n.number)}`);
            dlg.close();
            // Users who had chosen it moved to the default: say so.
            const moved = (r && r.usersMoved) || 0;
            const kind = n.type === 'tollFree' ? 'toll-free' : 'toll';
            let text = `${fmtNumber(n.number)} removed.`;
            if (moved && r.default) {
              text += ` ${moved} user${moved === 1 ? '' : 's'} moved to the default ${kind} number ${fmtNumber(r.default)}.`;
            } else if (moved) {
              text += ` ${moved} user${moved === 1 ? '' : 's'} now ha${moved === 1 ? 's' : 've'} no ${kind} number.`;
            }
            say(msg, 'ok', text);
            await load();
            ctx.main.querySelector('h1')?.focus();
          } catch (err) {
            say(dmsg, 'error', problemText(err));
          }
        } },
        { label: 'Cancel' },
      ],
    });
  }

  addBtn.addEventListener('click', async () => {
    // The languages the server has prompts for: a number may name only these.
    const known = await api.meta().then((m) => m.promptLanguages || []).catch(() => []);
    const number = h('input', { name: 'number', inputmode: 'tel', autocomplete: 'off', placeholder: '+14255550100', required: true });
    const type = h('select', { name: 'type' }, h('option', { value: 'toll' }, 'Toll'), h('option', { value: 'tollFree' }, 'Toll-free'));
    const country = h('input', { name: 'countryCode', maxlength: '2', autocomplete: 'off', placeholder: 'US', required: true });
    const city = h('input', { name: 'city', autocomplete: 'off' });
    const langs = h('input', { name: 'languages', autocomplete: 'off', value: 'en-US' });
    const isDefault = h('input', { type: 'checkbox', name: 'isDefault' });
    const dmsg = messageBox();
    openDialog({
      title: 'Add dial-in number',
      returnFocus: addBtn,
      initialFocus: number,
      body: [dmsg,
        field('Phone number (E.164)', number, 'With the country code, for example +14255550100.'),
        field('Type', type),
        field('Country code', country, 'Two letters, for example US.'),
        field('City (optional)', city),
        field('Prompt languages', langs, 'Comma-separated, for example fr-FR, en-US; the first greets callers, '
          + 'the others are offered as a menu.' + (known.length ? ` Available: ${known.join(', ')}.` : '')),
        checkField('Make it the default number of its type', isDefault)],
      buttons: [
        { label: 'Add', kind: 'primary', submit: true, action: async (dlg) => {
          const body = {
            number: number.value.replace(/[\s().-]/g, ''),
            type: type.value,
            countryCode: country.value.trim().toUpperCase(),
          };
          if (city.value.trim()) body.city = city.value.trim();
          const l = langs.value.split(',').map((s) => s.trim()).filter(Boolean);
          if (l.length) body.languages = l;
          if (isDefault.checked) body.isDefault = true;
          try {
            await api.post('/dial-in-numbers', body);
            dlg.close();
            say(msg, 'ok', `${fmtNumber(body.number)} added.`);
            await load();
          } catch (err) {
            say(dmsg, 'error', problemText(err));
          }
        } },
        { label: 'Cancel' },
      ],
    });
  });

  await load();
}
