// jitsi.js: #/jitsi — the Jitsi Meet rooms mapped to conference IDs
// (GET /api/v1/jitsi/rooms): which ID each room has and when it was last
// used, the clock of its expiry (setting jitsiRoomIdleDays).
import * as api from './api.js';
import { h, busy, say, messageBox, pageHeader, table, problemText, timeEl } from './ui.js';

export async function jitsiPage(ctx) {
  const msg = messageBox();
  const list = h('div');
  const refresh = h('button', { type: 'button' }, 'Refresh');
  const status = h('p.muted', { role: 'status' });
  ctx.main.append(pageHeader('Jitsi rooms', refresh), status, msg, list);

  async function load(button) {
    const run = async () => {
      try {
        const data = await api.get('/jitsi/rooms');
        if (!ctx.alive()) return;
        say(msg, '', '');
        const rooms = data.rooms || [];
        status.textContent = `${rooms.length} room${rooms.length === 1 ? '' : 's'} mapped`;
        list.replaceChildren(table('Jitsi rooms', [
          { label: 'Room', className: 'mono', cell: (r) => r.conference },
          { label: 'Conference ID', className: 'mono', cell: (r) => r.conferenceId },
          { label: 'Mapped', cell: (r) => timeEl(r.createdAt) },
          { label: 'Last used', cell: (r) => timeEl(r.lastUsedAt) },
        ], rooms, { empty: 'No Jitsi Meet room has asked for a number yet (see Settings, Jitsi Meet).' }));
      } catch (err) {
        if (!ctx.alive()) return;
        say(msg, 'error', problemText(err));
      }
    };
    await (button ? busy(button, run) : run());
  }

  refresh.addEventListener('click', () => load(refresh));
  await load();
}
