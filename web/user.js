// user.js: #/users/ID — a user's page with the Audio conferencing section:
// Edit, Reset conference ID (with its confirmation window), Send conference
// info in email, Reset PIN (the new PIN is shown once, never again).
import * as api from './api.js';
import { h, busy, say, messageBox, pageHeader, field, checkField, openDialog, problemText, fmtNumber } from './ui.js';

export async function userPage(ctx) {
  const id = ctx.arg;
  const msg = messageBox();
  const root = h('div.user-page');
  ctx.main.append(h('p.breadcrumb', h('a', { href: '#/users' }, 'Users')), root);

  let user;
  try {
    user = await api.get(`/users/${api.enc(id)}`);
  } catch (err) {
    if (!ctx.alive()) return;
    root.append(pageHeader('User'), msg);
    say(msg, 'error', err.status === 404 ? `There is no user “${id}”.` : problemText(err));
    return;
  }
  if (!ctx.alive()) return;

  const title = h('h1', { tabindex: '-1' }, user.displayName);
  const email = h('p.muted.user-email', user.email);
  const section = h('section.card.audio', { 'aria-labelledby': 'audio-title' });
  root.append(h('div.page-header', title), email, msg, section);

  // Audio conferencing section: a definition list and the actions.
  const dd = {
    enabled: h('dd#ac-enabled'),
    confid: h('dd#ac-conference-id.mono.big'),
    toll: h('dd#ac-toll'),
    tollFree: h('dd#ac-toll-free'),
    pin: h('dd#ac-pin'),
  };
  const editBtn = h('button#ac-edit', { type: 'button' }, 'Edit');
  const resetBtn = h('button#ac-reset-confid', { type: 'button' }, 'Reset conference ID');
  const infoBtn = h('button#ac-send-info', { type: 'button' }, 'Send conference info in email');
  const pinBtn = h('button#ac-reset-pin', { type: 'button' }, 'Reset PIN');
  section.append(
    h('div.section-head', h('h2#audio-title', 'Audio conferencing'), editBtn),
    h('dl.props',
      h('dt', 'Audio conferencing'), dd.enabled,
      h('dt', 'Conference ID'), dd.confid,
      h('dt', 'Toll number'), dd.toll,
      h('dt', 'Toll-free number'), dd.tollFree,
      h('dt', 'Organizer PIN'), dd.pin),
    h('div.actions', resetBtn, infoBtn, pinBtn));

  function render() {
    const ac = user.audioConferencing || {};
    title.textContent = user.displayName;
    email.textContent = user.email;
    dd.enabled.replaceChildren(ac.enabled ? h('span.badge.on', 'On') : h('span.badge.off', 'Off'));
    dd.confid.textContent = ac.conferenceId || '—';
    dd.toll.textContent = fmtNumber(ac.tollNumber);
    dd.tollFree.textContent = fmtNumber(ac.tollFreeNumber);
    dd.pin.textContent = ac.enabled ? (ac.pinSet ? 'Set' : 'Not set') : '—';
    for (const b of [resetBtn, infoBtn, pinBtn]) {
      b.hidden = !ac.enabled;
    }
  }
  render();

  editBtn.addEventListener('click', () => editDialog(editBtn));
  resetBtn.addEventListener('click', () => resetConfidDialog(resetBtn));
  infoBtn.addEventListener('click', () => sendInfoDialog(infoBtn));
  pinBtn.addEventListener('click', () => resetPinDialog(pinBtn));

  const userPath = () => `/users/${api.enc(user.id)}`;

  // Reset conference ID: the confirmation window.
  function resetConfidDialog(opener, onDone) {
    const sendEmail = h('input#reset-send-email', { type: 'checkbox', name: 'sendEmail', checked: true });
    const dmsg = messageBox();
    const ac = user.audioConferencing || {};
    openDialog({
      title: 'Reset conference ID',
      returnFocus: opener,
      className: 'dialog-reset',
      initialFocus: (d) => d.buttons.Cancel,
      body: [
        h('p', 'A new conference ID will be created for ', h('strong', user.displayName),
          ` and the current one (${ac.conferenceId || '—'}) stops working for callers at once.`),
        h('p', 'The user will be emailed the new conference ID and the dial-in numbers, with instructions ' +
          'for updating existing meeting invitations. Meetings that have not ended get a new conference ID ' +
          'and their attendees get an updated invitation.'),
        checkField('Send email to the user', sendEmail, `To ${user.email}.`),
        dmsg,
      ],
      buttons: [
        { label: 'Reset', name: 'Reset', kind: 'danger', id: 'reset-confirm', action: async (dlg) => {
          try {
            const r = await api.post(`${userPath()}/audio-conferencing/reset-conference-id`,
              { sendEmail: sendEmail.checked });
            user.audioConferencing.conferenceId = r.conferenceId;
            dlg.close();
            render();
            const parts = [`Conference ID reset: the new ID is ${r.conferenceId}; ${r.previousConferenceId} no longer works.`];
            if (r.meetingsUpdated) parts.push(`${r.meetingsUpdated} meeting(s) got a new ID.`);
            parts.push(r.emailQueued ? `An email to ${user.email} is on its way.` : 'No email was sent.');
            say(msg, 'ok', parts.join(' '));
            if (onDone) onDone();
          } catch (err) {
            say(dmsg, 'error', problemText(err));
          }
        } },
        { label: 'Cancel', id: 'reset-cancel' },
      ],
    });
  }

  // Send conference info in email (to the primary address or another one).
  function sendInfoDialog(opener) {
    const to = h('input#info-to', { type: 'email', name: 'to', value: user.email, autocomplete: 'off' });
    const dmsg = messageBox();
    openDialog({
      title: 'Send conference info in email',
      returnFocus: opener,
      initialFocus: to,
      body: [
        h('p', 'Sends the conference ID and the dial-in numbers. The PIN is never included.'),
        field('Send to', to, 'The user’s primary email address, or another address.'),
        dmsg,
      ],
      buttons: [
        { label: 'Send', kind: 'primary', submit: true, id: 'info-send', action: async (dlg) => {
          const addr = to.value.trim();
          try {
            const body = addr && addr.toLowerCase() !== user.email.toLowerCase() ? { to: addr } : {};
            const r = await api.post(`${userPath()}/audio-conferencing/send-conference-info`, body);
            dlg.close();
            say(msg, 'ok', `Conference info email queued to ${(r && r.to) || addr || user.email}.`);
          } catch (err) {
            say(dmsg, 'error', err.status === 404 && !err.problem?.detail?.includes('user')
              ? 'Sending conference info is not available on this server yet.'
              : problemText(err));
          }
        } },
        { label: 'Cancel' },
      ],
    });
  }

  // Reset PIN: confirm, then show the new PIN once.
  function resetPinDialog(opener) {
    const sendEmail = h('input#pin-send-email', { type: 'checkbox', name: 'sendEmail', checked: true });
    const dmsg = messageBox();
    openDialog({
      title: 'Reset PIN',
      returnFocus: opener,
      initialFocus: (d) => d.buttons.Cancel,
      body: [
        h('p', 'A new organizer PIN will be created for ', h('strong', user.displayName),
          '. The current PIN stops working at once. The new PIN is shown here only once.'),
        checkField('Send the new PIN to the user by email', sendEmail, `To ${user.email}.`),
        dmsg,
      ],
      buttons: [
        { label: 'Reset PIN', kind: 'danger', id: 'pin-confirm', action: async (dlg) => {
          try {
            const r = await api.post(`${userPath()}/audio-conferencing/reset-pin`, { sendEmail: sendEmail.checked });
            user.audioConferencing.pinSet = true;
            render();
            dlg.setBody(
              h('p', 'The new organizer PIN of ', h('strong', user.displayName), ' is'),
              h('p#new-pin.pin', r.pin),
              h('p.muted', 'Note it now: it is shown only this once. ' +
                (r.emailQueued ? `An email with the PIN is on its way to ${user.email}.` : 'No email was sent.')));
            dlg.setButtons([{ label: 'Done', kind: 'primary', id: 'pin-done' }]);
            dlg.buttons.Done.focus();
            say(msg, 'ok', 'PIN reset.');
          } catch (err) {
            say(dmsg, 'error', problemText(err));
          }
        } },
        { label: 'Cancel' },
      ],
    });
  }

  // Edit: enable or disable, toll and toll-free numbers; Reset conference ID.
  async function editDialog(opener) {
    const ac = user.audioConferencing || {};
    let numbers = null;
    await busy(opener, async () => {
      try {
        numbers = (await api.get('/dial-in-numbers')).numbers || [];
      } catch (err) {
        say(msg, 'error', problemText(err));
      }
    });
    if (!numbers || !ctx.alive()) return;
    const enabled = h('input#edit-enabled', { type: 'checkbox', name: 'enabled', checked: !!ac.enabled });
    const numberSelect = (type, current) => {
      const list = numbers.filter((n) => n.type === type);
      const def = list.find((n) => n.isDefault);
      const sel = h('select', { name: type },
        h('option', { value: '' }, def ? `Organization default (${fmtNumber(def.number)})` : 'Organization default (none)'),
        list.map((n) => h('option', { value: n.number },
          `${fmtNumber(n.number)}${n.city ? ' · ' + n.city : ''}${n.countryCode ? ' · ' + n.countryCode : ''}`)));
      // The API answers the user's own number or the default; show the default as "Organization default".
      const want = current && !(def && def.number === current) ? current : '';
      sel.value = want;
      if (sel.value !== want) sel.value = '';
      return sel;
    };
    const toll = numberSelect('toll', ac.tollNumber);
    toll.id = 'edit-toll';
    const tollFree = numberSelect('tollFree', ac.tollFreeNumber);
    tollFree.id = 'edit-toll-free';
    const initial = { enabled: enabled.checked, toll: toll.value, tollFree: tollFree.value };
    const confidText = h('span.mono', ac.conferenceId || '—');
    const resetInEdit = h('button#edit-reset-confid', { type: 'button' }, 'Reset conference ID');
    resetInEdit.hidden = !ac.enabled;
    const dmsg = messageBox();
    const numberFields = h('div', field('Toll number', toll), field('Toll-free number', tollFree));
    const syncEnabled = () => {
      toll.disabled = !enabled.checked;
      tollFree.disabled = !enabled.checked;
    };
    enabled.addEventListener('change', syncEnabled);
    syncEnabled();
    resetInEdit.addEventListener('click', () => resetConfidDialog(resetInEdit, () => {
      confidText.textContent = user.audioConferencing.conferenceId;
    }));
    openDialog({
      title: `Edit audio conferencing · ${user.displayName}`,
      returnFocus: opener,
      initialFocus: enabled,
      body: [
        dmsg,
        checkField('Enabled for audio conferencing', enabled,
          'Disabling revokes the user’s conference ID and the IDs of their meetings at once.'),
        numberFields,
        h('div.field', h('span.label', 'Conference ID'), h('div.inline', confidText, resetInEdit)),
      ],
      buttons: [
        { label: 'Save', kind: 'primary', submit: true, id: 'edit-save', action: async (dlg) => {
          const patchAc = {};
          if (enabled.checked !== initial.enabled) patchAc.enabled = enabled.checked;
          if (enabled.checked) {
            if (toll.value !== initial.toll) patchAc.tollNumber = toll.value || null;
            if (tollFree.value !== initial.tollFree) patchAc.tollFreeNumber = tollFree.value || null;
          }
          if (!Object.keys(patchAc).length) {
            dlg.close();
            return;
          }
          try {
            user = await api.patch(userPath(), { audioConferencing: patchAc });
            dlg.close();
            render();
            say(msg, 'ok', 'Audio conferencing saved.');
          } catch (err) {
            say(dmsg, 'error', problemText(err));
          }
        } },
        { label: 'Cancel' },
      ],
    });
  }
}
