// outbox.js: #/outbox?state=STATE — the email outbox, one tab per mail state
// the server lists (GET /api/v1/meta), with Retry where a state allows it.
import * as api from './api.js';
import { h, busy, say, messageBox, pageHeader, table, problemText, timeEl } from './ui.js';

const KIND = {
  'conference-id-reset': 'Conference ID reset',
  'conference-info': 'Conference info',
  'pin-reset': 'PIN reset',
  enabled: 'Enabled',
  invitation: 'Invitation',
  update: 'Invitation update',
  cancel: 'Cancellation',
};

export async function outboxPage(ctx) {
  const msg = messageBox();
  let states;
  try {
    states = (await api.meta()).mailStates;
  } catch (err) {
    if (!ctx.alive()) return;
    ctx.main.append(pageHeader('Email outbox'), msg);
    say(msg, 'error', problemText(err));
    return;
  }
  if (!ctx.alive()) return;
  const byName = new Map(states.map((s) => [s.name, s]));
  let state = byName.has(ctx.params.get('state')) ? ctx.params.get('state') : states[0].name;
  const panel = h('div#outbox-panel', { role: 'tabpanel' });
  const refresh = h('button', { type: 'button' }, 'Refresh');
  const tabs = states.map((s) => h('button', { type: 'button', role: 'tab', id: 'tab-' + s.name,
    'aria-controls': 'outbox-panel', 'data-state': s.name }, s.label));
  const tablist = h('div.tabs', { role: 'tablist', 'aria-label': 'Email state' }, tabs);
  ctx.main.append(pageHeader('Email outbox', refresh),
    h('p.muted', 'Every email dialconf sends goes through this queue. Failed emails can be sent again.'),
    tablist, msg, panel);

  function selectTab() {
    for (const t of tabs) {
      const on = t.dataset.state === state;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
    }
    panel.setAttribute('aria-labelledby', 'tab-' + state);
  }

  async function load(button) {
    window.history.replaceState(null, '', '#/outbox?state=' + state);
    const run = async () => {
      try {
        const data = await api.get('/outbox', { query: { state, limit: 100 } });
        if (!ctx.alive()) return;
        say(msg, '', '');
        render(data.emails || []);
      } catch (err) {
        if (!ctx.alive()) return;
        say(msg, 'error', problemText(err));
      }
    };
    await (button ? busy(button, run) : run());
  }

  function render(emails) {
    const st = byName.get(state);
    const cols = [
      { label: 'Created', cell: (e) => timeEl(e.createdAt) },
      { label: 'Kind', cell: (e) => KIND[e.kind] || e.kind },
      { label: 'To', cell: (e) => e.to },
      { label: 'Subject', cell: (e) => e.subject },
      { label: 'Attempts', className: 'num', cell: (e) => String(e.attempts ?? 0) },
    ];
    if (st.due) cols.push({ label: 'Next attempt', cell: (e) => timeEl(e.nextAttemptAt) });
    if (st.delivered) cols.push({ label: 'Sent', cell: (e) => timeEl(e.sentAt) });
    else cols.push({ label: 'Last error', cell: (e) => e.lastError || '—' });
    if (st.retry) {
      cols.push({ label: 'Actions', cell: (e) => h('button', { type: 'button', 'aria-label': `Retry email ${e.id} to ${e.to}`,
        onclick: (ev) => retry(ev.currentTarget, e) }, 'Retry') });
    }
    const label = st.label.toLowerCase();
    panel.replaceChildren(table(`Emails ${label}`, cols, emails, { empty: `No ${label} emails.` }));
  }

  async function retry(btn, e) {
    await busy(btn, async () => {
      try {
        await api.post(`/outbox/${api.enc(e.id)}/retry`);
        say(msg, 'ok', `The email to ${e.to} is queued again.`);
        await load();
      } catch (err) {
        say(msg, 'error', problemText(err));
      }
    });
    ctx.main.querySelector('h1')?.focus();
  }

  tablist.addEventListener('click', (ev) => {
    const t = ev.target.closest('[role=tab]');
    if (!t || t.dataset.state === state) return;
    state = t.dataset.state;
    selectTab();
    load(t);
  });
  tablist.addEventListener('keydown', (ev) => {
    const i = tabs.indexOf(document.activeElement);
    if (i < 0) return;
    let j = null;
    if (ev.key === 'ArrowRight') j = (i + 1) % tabs.length;
    else if (ev.key === 'ArrowLeft') j = (i + tabs.length - 1) % tabs.length;
    else if (ev.key === 'Home') j = 0;
    else if (ev.key === 'End') j = tabs.length - 1;
    if (j === null) return;
    ev.preventDefault();
    tabs[j].focus();
    tabs[j].click();
  });
  refresh.addEventListener('click', () => load(refresh));

  selectTab();
  await load();
}
