// calls.js: #/calls — live calls, refreshed every 5 seconds while the page is
// open, with the live control of docs/api.md: per call mute/unmute, remove
// and admit; per conference mute all, admit all, lock/unlock and end.
// Removing a caller and ending a conference ask first.
import * as api from './api.js';
import { h, busy, say, messageBox, pageHeader, table, problemText, timeEl, fmtNumber, openDialog } from './ui.js';

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
        list.replaceChildren(conferencesTable(calls), table('Live calls', [
          { label: 'Started', cell: (c) => timeEl(c.startedAt) },
          { label: 'Caller', className: 'mono', cell: (c) => c.caller || 'Unknown' },
          { label: 'Dialed number', className: 'mono', cell: (c) => fmtNumber(c.dialedNumber) },
          { label: 'State', cell: (c) => label.get(c.state) || c.state },
          { label: 'Conference ID', className: 'mono', cell: (c) => c.conferenceId || '—' },
          { label: 'Organizer', cell: (c) => (c.userId ? h('a', { href: `#/users/${api.enc(c.userId)}` }, 'User ' + c.userId) : '—') },
          { label: 'Muted', cell: (c) => (c.muted ? 'Yes' : 'No') },
          { label: 'Node', className: 'mono', cell: (c) => c.node || '—' },
          { label: 'Actions', cell: callActions },
        ], calls, { empty: 'Nobody is on a call right now.' }));
      } catch (err) {
        if (!ctx.alive()) return;
        say(msg, 'error', problemText(err));
      }
    };
    await (button ? busy(button, run) : run());
  }

  // POST one action, say what happened, and show the list as it is now.
  // (The list first: a load clears the message box.)
  async function act(button, path, done) {
    let failure = null;
    await busy(button, async () => {
      try {
        await api.post(path, {});
      } catch (err) {
        failure = err;
      }
    });
    if (!ctx.alive()) return;
    await load();
    if (failure) say(msg, 'error', problemText(failure));
    else say(msg, 'ok', done);
  }

  function confirmThen(opener, title, text, label, run) {
    openDialog({
      title,
      returnFocus: opener,
      initialFocus: (d) => d.buttons.Cancel,
      body: h('p', text),
      buttons: [
        { label, kind: 'danger', id: 'call-control-confirm', action: async (dlg) => {
          dlg.close();
          await run();
        } },
        { label: 'Cancel' },
      ],
    });
  }

  function callActions(c) {
    const path = (a) => `/calls/${api.enc(c.id)}/${a}`;
    const who = c.caller || 'the caller';
    const box = h('div.row-actions');
    if (c.state === 'in-conference') {
      const mute = c.muted ? 'unmute' : 'mute';
      box.append(h('button', { type: 'button', 'data-action': mute, onclick: (ev) =>
        act(ev.currentTarget, path(mute), `${who} ${c.muted ? 'unmuted' : 'muted'}.`) }, c.muted ? 'Unmute' : 'Mute'));
    }
    if (c.state === 'lobby') {
      box.append(h('button', { type: 'button', 'data-action': 'admit', onclick: (ev) =>
        act(ev.currentTarget, path('admit'), `${who} let in.`) }, 'Admit'));
    }
    box.append(h('button.danger-outline', { type: 'button', 'data-action': 'remove', onclick: (ev) => {
      const b = ev.currentTarget;
      confirmThen(b, 'Remove caller', `Remove ${who}? They hear a goodbye and are hung up.`, 'Remove',
        () => act(b, path('remove'), `${who} removed.`));
    } }, 'Remove'));
    return box;
  }

  // One row per conference with a caller in it or waiting for it.
  function conferencesTable(calls) {
    const confs = new Map();
    for (const c of calls) {
      if (!c.conferenceId) continue;
      const x = confs.get(c.conferenceId) || { id: c.conferenceId, joined: 0, lobby: 0, locked: false };
      x.joined += c.state === 'in-conference' ? 1 : 0;
      x.lobby += c.state === 'lobby' ? 1 : 0;
      x.locked = x.locked || c.conferenceLocked;
      confs.set(c.conferenceId, x);
    }
    if (!confs.size) return h('div');
    return h('section.conferences', h('h2', 'Conferences'), table('Live conferences', [
      { label: 'Conference ID', className: 'mono', cell: (x) => x.id },
      { label: 'In', cell: (x) => String(x.joined) },
      { label: 'Waiting', cell: (x) => String(x.lobby) },
      { label: 'Locked', cell: (x) => (x.locked ? 'Yes' : 'No') },
      { label: 'Actions', cell: conferenceActions },
    ], [...confs.values()]));
  }

  function conferenceActions(x) {
    const path = (a) => `/conferences/${api.enc(x.id)}/${a}`;
    const button = (action, label, done, cls) => h(cls ? `button.${cls}` : 'button', {
      type: 'button', 'data-action': action,
      onclick: (ev) => act(ev.currentTarget, path(action), done) }, label);
    const box = h('div.row-actions');
    if (x.joined) box.append(button('mute-all', 'Mute all', `Everyone in ${x.id} but the organizer muted.`));
    if (x.lobby) box.append(button('admit-all', 'Admit all', `The lobby of ${x.id} let in.`));
    if (x.joined) {
      box.append(x.locked ? button('unlock', 'Unlock', `Conference ${x.id} unlocked.`)
        : button('lock', 'Lock', `Conference ${x.id} locked: new callers are refused.`));
    }
    box.append(h('button.danger-outline', { type: 'button', 'data-action': 'end', onclick: (ev) => {
      const b = ev.currentTarget;
      confirmThen(b, 'End conference', `End conference ${x.id}? Everyone in it hears so and is hung up.`, 'End',
        () => act(b, path('end'), `Conference ${x.id} ended.`));
    } }, 'End'));
    return box;
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
