// calls.js: #/calls — the live calls of every node (each with its node),
// refreshed every 5 seconds while the page is open.
import * as api from './api.js';
import { h, busy, say, messageBox, pageHeader, table, problemText, timeEl, fmtNumber } from './ui.js';

export async function callsPage(ctx) {
  const msg = messageBox();
  const list = h('div');
  const refresh = h('button', { type: 'button' }, 'Refresh');
  const status = h('p.muted', { role: 'status' });
  ctx.main.append(pageHeader('Live calls', refresh), status, msg, list);
  let timer = null;
  let stopped = false;

  async function load(button) {
    const run = async () => {
      try {
        const [data, meta] = await Promise.all([api.get('/calls'), api.meta()]);
        if (!ctx.alive()) return;
        // The states' labels come from the server (core/attendant.h).
        const label = new Map(meta.callStates.map((s) => [s.name, s.label]));
        say(msg, '', '');
        const calls = data.calls || [];
        status.textContent = `${calls.length} call${calls.length === 1 ? '' : 's'} now · updated ${new Date().toLocaleTimeString()}`;
        list.replaceChildren(table('Live calls', [
          { label: 'Started', cell: (c) => timeEl(c.startedAt) },
          { label: 'Caller', className: 'mono', cell: (c) => c.caller || 'Unknown' },
          { label: 'Dialed number', className: 'mono', cell: (c) => fmtNumber(c.dialedNumber) },
          { label: 'State', cell: (c) => label.get(c.state) || c.state },
          { label: 'Conference ID', className: 'mono', cell: (c) => c.conferenceId || '—' },
          { label: 'Organizer', cell: (c) => (c.userId ? h('a', { href: `#/users/${api.enc(c.userId)}` }, 'User ' + c.userId) : '—') },
          { label: 'Muted', cell: (c) => (c.muted ? 'Yes' : 'No') },
          { label: 'Node', className: 'mono', cell: (c) => c.node || '—' },
        ], calls, { empty: 'Nobody is on a call right now.' }));
      } catch (err) {
        if (!ctx.alive()) return;
        say(msg, 'error', problemText(err));
      }
    };
    await (button ? busy(button, run) : run());
  }

  function schedule() {
    timer = setTimeout(async () => {
      if (stopped || !ctx.alive()) return;
      if (!document.hidden) await load();
      schedule();
    }, 5000);
  }

  refresh.addEventListener('click', () => load(refresh));
  ctx.onCleanup(() => {
    stopped = true;
    clearTimeout(timer);
  });
  await load();
  if (!stopped) schedule();
}
