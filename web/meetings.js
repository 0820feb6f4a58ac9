// meetings.js: #/meetings — scheduled meetings and their dynamic conference
// IDs.
import * as api from './api.js';
import { h, busy, say, messageBox, pageHeader, table, problemText, timeEl, openDialog } from './ui.js';

const STATE = { scheduled: 'Scheduled', cancelled: 'Cancelled', ended: 'Ended' };

function organizerOf(m) {
  const o = m.organizer;
  if (!o) return '—';
  if (typeof o === 'string') return o;
  return o.email || o.displayName || o.id || '—';
}

export async function meetingsPage(ctx) {
  const organizer = ctx.params.get('organizer') || '';
  const msg = messageBox();
  const list = h('div');
  const input = h('input#meetings-organizer', { type: 'search', name: 'organizer', value: organizer, autocomplete: 'off',
    placeholder: 'Email or user id' });
  const filterBtn = h('button', { type: 'submit' }, 'Show');
  const form = h('form.search', { role: 'search' },
    h('label', { for: 'meetings-organizer' }, 'Organizer'), h('div.search-row', input, filterBtn));
  ctx.main.append(pageHeader('Meetings'), form, msg, list);

  async function load(org, button) {
    window.history.replaceState(null, '', '#/meetings' + (org ? '?organizer=' + encodeURIComponent(org) : ''));
    const run = async () => {
      try {
        const data = await api.get('/meetings', { query: { organizer: org } });
        if (!ctx.alive()) return;
        say(msg, '', '');
        const meetings = Array.isArray(data) ? data : data.meetings || [];
        list.replaceChildren(table('Meetings', [
          { label: 'Subject', cell: (m) => m.subject || '(no subject)' },
          { label: 'Organizer', cell: (m) => organizerOf(m) },
          { label: 'Start', cell: (m) => timeEl(m.start) },
          { label: 'End', cell: (m) => timeEl(m.end) },
          { label: 'Conference ID', className: 'mono', cell: (m) => m.conferenceId || '—' },
          { label: 'State', cell: (m) => STATE[m.state] || m.state || '—' },
          { label: 'Actions', cell: (m) => (m.state === 'scheduled'
            ? h('button.danger-outline', { type: 'button', 'aria-label': `Cancel meeting ${m.subject || m.id}`,
              onclick: (ev) => cancelDialog(ev.currentTarget, m) }, 'Cancel meeting') : '') },
        ], meetings, { empty: org ? 'This organizer has no meetings.' : 'No meetings yet.' }));
      } catch (err) {
        if (!ctx.alive()) return;
        say(msg, 'error', problemText(err));
      }
    };
    await (button ? busy(button, run) : run());
  }

  function cancelDialog(opener, m) {
    const dmsg = messageBox();
    openDialog({
      title: 'Cancel meeting',
      returnFocus: opener,
      initialFocus: (d) => d.buttons['Keep meeting'],
      body: [h('p', `Cancel “${m.subject || m.id}”? Its conference ID stops working and attendees get a cancellation.`), dmsg],
      buttons: [
        { label: 'Cancel meeting', kind: 'danger', action: async (dlg) => {
          try {
            await api.del(`/meetings/${api.enc(m.id)}`);
            dlg.close();
            say(msg, 'ok', 'Meeting cancelled.');
            await load(input.value.trim());
          } catch (err) {
            say(dmsg, 'error', problemText(err));
          }
        } },
        { label: 'Keep meeting' },
      ],
    });
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    load(input.value.trim(), filterBtn);
  });
  await load(organizer);
}
