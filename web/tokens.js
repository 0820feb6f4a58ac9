// tokens.js: #/tokens — API tokens: list (never their secrets), create (the
// secret shown once, in the dialog), revoke.
import * as api from './api.js';
import { h, say, messageBox, pageHeader, table, field, openDialog, problemText, timeEl } from './ui.js';

const DAY_MS = 86400 * 1000;

export async function tokensPage(ctx) {
  const msg = messageBox();
  const list = h('div');
  const addBtn = h('button.primary#token-create', { type: 'button' }, 'Create token');
  ctx.main.append(pageHeader('API tokens', addBtn),
    h('p.muted', 'Scripts and the dialconf CLI call the API with a token (Authorization: Bearer …). ' +
      'A token is shown once, when it is made; an expired or revoked one is refused.'),
    msg, list);

  async function load() {
    try {
      const data = await api.get('/tokens');
      if (!ctx.alive()) return;
      render(data.tokens || []);
    } catch (err) {
      if (ctx.alive()) say(msg, 'error', problemText(err));
    }
  }

  function expired(t) {
    return t.expiresAt && new Date(t.expiresAt).getTime() <= Date.now();
  }

  function render(tokens) {
    list.replaceChildren(table('API tokens', [
      { label: 'Name', cell: (t) => t.name },
      { label: 'Created', cell: (t) => timeEl(t.createdAt) },
      { label: 'Expires', cell: (t) => (t.expiresAt
        ? h('span', timeEl(t.expiresAt), expired(t) ? h('span.badge', ' Expired') : '') : 'Never') },
      { label: 'Last used', cell: (t) => (t.lastUsedAt ? timeEl(t.lastUsedAt) : 'Never') },
      { label: 'Actions', cell: (t) => h('div.row-actions',
        h('button.danger-outline', { type: 'button', 'aria-label': `Revoke ${t.name}`,
          onclick: (ev) => revokeDialog(ev.currentTarget, t) }, 'Revoke')) },
    ], tokens, { empty: 'No API tokens.' }));
  }

  function revokeDialog(opener, t) {
    const dmsg = messageBox();
    openDialog({
      title: 'Revoke API token',
      returnFocus: opener,
      initialFocus: (d) => d.buttons.Cancel,
      body: [h('p', 'Revoke ', h('strong', t.name), '? Requests with it are refused from now on.'), dmsg],
      buttons: [
        { label: 'Revoke', kind: 'danger', id: 'token-revoke-confirm', action: async (dlg) => {
          try {
            await api.del(`/tokens/${api.enc(t.id)}`);
            dlg.close();
            say(msg, 'ok', `Token ${t.name} revoked.`);
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

  addBtn.addEventListener('click', () => {
    const name = h('input#token-name', { name: 'name', autocomplete: 'off', required: true, maxlength: '256' });
    const days = h('input#token-days', { name: 'expiresDays', type: 'number', min: '1', max: '3650', value: '90' });
    const dmsg = messageBox();
    openDialog({
      title: 'Create API token',
      returnFocus: addBtn,
      initialFocus: name,
      body: [dmsg,
        field('Name', name, 'Who or what uses it, for example ci-bot. The audit log shows it as the actor.'),
        field('Expires after (days)', days, 'Empty: never (until revoked).')],
      buttons: [
        { label: 'Create', kind: 'primary', submit: true, id: 'token-create-confirm', action: async (dlg) => {
          const body = { name: name.value.trim() };
          const d = days.value.trim();
          if (d) body.expiresAt = new Date(Date.now() + Number(d) * DAY_MS).toISOString().replace(/\.\d+Z$/, 'Z');
          try {
            const r = await api.post('/tokens', body);
            dlg.setBody(
              h('p', 'The new API token ', h('strong', r.name), ' is'),
              h('p#new-token.pin.mono', r.token),
              h('p.muted', 'Copy it now: it is shown only this once.'));
            dlg.setButtons([{ label: 'Done', kind: 'primary', id: 'token-done' }]);
            dlg.buttons.Done.focus();
            say(msg, 'ok', `Token ${r.name} created.`);
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
