// audit.js: #/audit — who did what to whom and when, newest first.
import * as api from './api.js';
import { h, say, messageBox, pageHeader, table, field, problemText, timeEl } from './ui.js';

function detailText(d) {
  if (!d || typeof d !== 'object') return d ? String(d) : '';
  return Object.entries(d).map(([k, v]) => `${k}: ${v !== null && typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ');
}

export async function auditPage(ctx) {
  const limit = h('select#audit-limit', { name: 'limit' }, ['50', '100', '500', '1000'].map((n) => h('option', { value: n }, n)));
  limit.value = ['50', '100', '500', '1000'].includes(ctx.params.get('limit')) ? ctx.params.get('limit') : '100';
  const msg = messageBox();
  const list = h('div');
  ctx.main.append(pageHeader('Audit log'), h('div.toolbar', field('Show the latest', limit)), msg, list);

  async function load() {
    window.history.replaceState(null, '', '#/audit' + (limit.value !== '100' ? '?limit=' + limit.value : ''));
    try {
      // The labels of the actions: the server's own list (GET /meta).
      const [data, meta] = await Promise.all([api.get('/audit', { query: { limit: limit.value } }), api.meta()]);
      if (!ctx.alive()) return;
      const label = new Map(meta.auditActions.map((a) => [a.name, a.label]));
      say(msg, '', '');
      list.replaceChildren(table('Audit log', [
        { label: 'When', cell: (e) => timeEl(e.at) },
        { label: 'Who', cell: (e) => e.actor },
        { label: 'What', cell: (e) => h('span', { title: e.action }, label.get(e.action) || e.action) },
        { label: 'Target', cell: (e) => e.target || '—' },
        { label: 'Details', className: 'detail', cell: (e) => detailText(e.detail) },
      ], data.entries || [], { empty: 'Nothing in the audit log yet.' }));
    } catch (err) {
      if (ctx.alive()) say(msg, 'error', problemText(err));
    }
  }
  limit.addEventListener('change', load);
  await load();
}
