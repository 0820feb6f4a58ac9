// settings.js: #/settings — every setting GET /api/v1/settings answers, as a
// typed input (checkbox, bounded number, text); Save sends only the changes
// with PATCH (all or nothing on the server) and shows a 400's detail.
import * as api from './api.js';
import { h, busy, say, messageBox, pageHeader, field, checkField, problemText } from './ui.js';

// Labels, help, bounds and groups of the known settings (SPEC §7,
// src/core/settings.c). A setting the server has and this table lacks is
// still shown, by its JSON type, under "Other".
const GROUPS = ['Organization', 'Emails to users', 'Dial-in', 'Admin center', 'Other'];
const META = {
  organizationName: { group: 'Organization', label: 'Organization name', help: 'Shown in emails and meeting invitations.', maxlength: 100 },
  pinLength: { group: 'Organization', label: 'PIN length', help: 'Digits of new organizer PINs (4 to 12). Existing PINs keep their length until reset.', min: 4, max: 12 },
  conferenceIdQuarantineDays: { group: 'Organization', label: 'Conference ID quarantine (days)',
    help: 'Days a revoked conference ID is held back before it may be issued again (0 to 3650).', min: 0, max: 3650 },
  automaticallySendEmailsToUsers: { group: 'Emails to users', label: 'Automatically send emails to users',
    help: 'Email users their conference ID, dial-in numbers and PIN when these are issued or reset.' },
  sendEmailFromAddress: { group: 'Emails to users', label: 'Send emails from address', type: 'email', maxlength: 254 },
  sendEmailFromDisplayName: { group: 'Emails to users', label: 'Send emails from display name', maxlength: 100 },
  emailRetryInitialSeconds: { group: 'Emails to users', label: 'First retry after (seconds)',
    help: 'Wait before an email that met a temporary failure is tried again; it doubles with each try (1 to 86400).', min: 1, max: 86400 },
  emailRetryMaxSeconds: { group: 'Emails to users', label: 'Longest wait between retries (seconds)', help: '1 to 604800.', min: 1, max: 604800 },
  emailGiveUpHours: { group: 'Emails to users', label: 'Give up after (hours)',
    help: 'Hours of temporary failures after which an email is marked failed (1 to 8760).', min: 1, max: 8760 },
  enableEntryExitNotifications: { group: 'Dial-in', label: 'Entry and exit notifications', help: 'Play a tone when a caller joins or leaves a conference.' },
  allowPstnUsersToBypassLobby: { group: 'Dial-in', label: 'Callers bypass the lobby',
    help: 'Let callers who dial in join a meeting at once instead of waiting in the lobby for the organizer.' },
  dialinFailureLimit: { group: 'Dial-in', label: 'Wrong IDs and PINs before a caller is refused',
    help: 'Wrong conference IDs and PINs from one source, each counted at once, after which the source is refused (1 to 100).', min: 1, max: 100 },
  dialinFailureWindowMinutes: { group: 'Dial-in', label: 'Wrong entries window (minutes)', help: 'Minutes within which those wrong entries must fall (1 to 1440).', min: 1, max: 1440 },
  dialinCooloffMinutes: { group: 'Dial-in', label: 'Refused for (minutes)', help: 'The first refusal; each repeat offence doubles it (1 to 1440).', min: 1, max: 1440 },
  dialinCooloffMaxMinutes: { group: 'Dial-in', label: 'Longest refusal (minutes)', help: 'Doubling stops here (1 to 10080).', min: 1, max: 10080 },
  dialinPinFailureLimit: { group: 'Dial-in', label: 'Wrong PINs before a conference closes its organizer path',
    help: 'Wrong PINs for one conference within an hour, from any callers (1 to 1000).', min: 1, max: 1000 },
  dialinPinCloseMinutes: { group: 'Dial-in', label: 'Organizer path closed for (minutes)', help: '1 to 10080.', min: 1, max: 10080 },
  dialinMaxCallsPerSource: { group: 'Dial-in', label: 'Calls per caller source at once', help: 'Past it: SIP 403 (1 to 100000).', min: 1, max: 100000 },
  dialinCallRatePerSource: { group: 'Dial-in', label: 'New calls per second per caller source', help: 'Past it: SIP 403 (1 to 100000).', min: 1, max: 100000 },
  dialinMaxCallsPerNode: { group: 'Dial-in', label: 'Calls per node at once', help: 'Past it: SIP 503 with Retry-After (1 to 100000).', min: 1, max: 100000 },
  dialinLobbyTimeoutSeconds: { group: 'Dial-in', label: 'Longest wait in the lobby (seconds)', help: '5 to 86400.', min: 5, max: 86400 },
  dialinRtpTimeoutSeconds: { group: 'Dial-in', label: 'Hang up after silence on the line (seconds)', help: 'No media packet for this long (2 to 3600).', min: 2, max: 3600 },
  dialinMaxCallSeconds: { group: 'Dial-in', label: 'Longest call (seconds)', help: '10 to 604800.', min: 10, max: 604800 },
  sipTrustedProxies: { group: 'Dial-in', label: 'Trusted SIP proxies and trunks',
    help: 'IP addresses, comma-separated, whose X-Dialconf-Source or asserted caller is believed.', maxlength: 500 },
  meetingIdGraceHours: { group: 'Dial-in', label: 'Meeting ID works after the meeting (hours)',
    help: 'Hours after a meeting ends during which its conference ID still works; then it is revoked (0 to 720).', min: 0, max: 720 },
  maxParticipants: { group: 'Dial-in', label: 'Most callers in one conference',
    help: 'The next caller hears that the conference is full and is hung up (2 to 10000).', min: 2, max: 10000 },
  adminLockoutAttempts: { group: 'Admin center', label: 'Wrong passwords before lockout',
    help: 'Wrong passwords in a row after which an administrator account is locked (1 to 100).', min: 1, max: 100 },
  adminLockoutMinutes: { group: 'Admin center', label: 'Lockout (minutes)',
    help: 'Minutes a locked account refuses every sign-in, even with the right password (1 to 1440).', min: 1, max: 1440 },
  adminSessionIdleMinutes: { group: 'Admin center', label: 'Sign out after inactivity (minutes)', help: '1 to 1440.', min: 1, max: 1440 },
  adminSessionMaxHours: { group: 'Admin center', label: 'Longest session (hours)', help: 'Hours after sign-in at which a session ends (1 to 168).', min: 1, max: 168 },
};

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
  try {
    current = await api.get('/settings');
  } catch (err) {
    if (ctx.alive()) say(msg, 'error', problemText(err));
    return;
  }
  if (!ctx.alive()) return;

  const inputs = {};
  const groups = new Map(GROUPS.map((g) => [g, []]));
  for (const [name, value] of Object.entries(current)) {
    const meta = META[name] || {};
    const fields = groups.get(meta.group) || groups.get('Other');
    const label = meta.label || humanize(name);
    const id = 'setting-' + name;
    let input;
    if (typeof value === 'boolean') {
      input = h('input', { type: 'checkbox', id, name, checked: value });
      fields.push(checkField(label, input, meta.help));
    } else if (typeof value === 'number') {
      input = h('input', { type: 'number', id, name, value: String(value), step: '1', inputmode: 'numeric',
        min: meta.min !== undefined ? String(meta.min) : null, max: meta.max !== undefined ? String(meta.max) : null });
      fields.push(field(label, input, meta.help));
    } else {
      input = h('input', { type: meta.type || 'text', id, name, value: value === null ? '' : String(value),
        maxlength: meta.maxlength ? String(meta.maxlength) : null, autocomplete: 'off' });
      fields.push(field(label, input, meta.help));
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
        const meta = META[name] || {};
        if (!Number.isInteger(v) || (meta.min !== undefined && v < meta.min) || (meta.max !== undefined && v > meta.max)) {
          inputs[name].setAttribute('aria-invalid', 'true');
          inputs[name].focus();
          const bounds = meta.min !== undefined ? ` between ${meta.min} and ${meta.max}` : '';
          say(msg, 'error', `${meta.label || humanize(name)} must be a whole number${bounds}.`);
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
        say(msg, 'ok', `Settings saved (${Object.keys(changes).map((n) => META[n]?.label || humanize(n)).join(', ')}).`);
      } catch (err) {
        say(msg, 'error', err.status === 400 ? `Not saved: ${err.message}` : problemText(err));
        // Point at the setting the server named, if any.
        const named = Object.keys(changes).find((n) => err.message.includes(n));
        if (named) inputs[named].setAttribute('aria-invalid', 'true');
      }
    });
  });
}
