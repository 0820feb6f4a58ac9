#!/usr/bin/env node
// Browser tests of the admin center (issue 7): playwright-core drives
// Debian's chromium, headless, against the real daemon booted here on a free
// port and a temporary data directory. Prints TAP ("ok N - name").
//
//   node tests/e2e/admin_center.mjs BUILD/dialconf [--screenshots DIR]
//
// --screenshots DIR saves the users list, the user page and the reset window
// there (docs/ for the README); by default they go to the temporary directory.
import { chromium } from 'playwright-core';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const STEP_TIMEOUT = 10_000;
const WATCHDOG = 110_000;

const argv = process.argv.slice(2);
const bin = argv[0] && path.resolve(argv[0]);
if (!bin || !fs.existsSync(bin)) {
  console.error('usage: node tests/e2e/admin_center.mjs BUILD/dialconf [--screenshots DIR]');
  process.exit(2);
}
const shotsArg = argv.indexOf('--screenshots');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dialconf-e2e-'));
const shotsDir = shotsArg > 0 ? path.resolve(argv[shotsArg + 1]) : tmp;
const dataDir = path.join(tmp, 'data');
fs.mkdirSync(dataDir);

// ---- TAP -----------------------------------------------------------------
let n = 0;
let failed = 0;
const diag = (s) => console.log(String(s).split('\n').map((l) => '# ' + l).join('\n'));
class Skip extends Error {}
const skip = (reason) => {
  throw new Skip(reason);
};
async function test(name, fn) {
  n++;
  try {
    await fn();
    console.log(`ok ${n} - ${name}`);
  } catch (e) {
    if (e instanceof Skip) {
      console.log(`ok ${n} - ${name} # SKIP ${e.message}`);
      return;
    }
    failed++;
    console.log(`not ok ${n} - ${name}`);
    diag(e && e.stack ? e.stack.split('\n').slice(0, 6).join('\n') : e);
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error('assertion failed: ' + msg);
}
function eq(a, b, msg) {
  if (a !== b) throw new Error(`${msg}: expected ${JSON.stringify(b)}, got ${JSON.stringify(a)}`);
}
// Poll fn until it returns a truthy value (in Node: the page's CSP forbids
// the eval that page.waitForFunction needs).
async function until(fn, msg, timeout = STEP_TIMEOUT) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${msg} (last: ${last})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---- the daemon ----------------------------------------------------------
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

let daemon = null;
let base = '';
let token = '';
const logPath = path.join(tmp, 'serve.log');

async function startDaemon() {
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const sipPort = await freePort();
    base = `http://127.0.0.1:${port}`;
    const log = fs.openSync(logPath, 'a');
    daemon = spawn(bin, ['serve', '--data', dataDir, '--http', `127.0.0.1:${port}`, '--sip', `127.0.0.1:${sipPort}`, '--demo'],
      { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    let exited = null;
    daemon.on('exit', (code) => {
      exited = code;
    });
    const end = Date.now() + 15_000;
    while (Date.now() < end && exited === null) {
      try {
        const r = await fetch(base + '/healthz');
        if (r.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const text = fs.readFileSync(logPath, 'utf8');
    if (exited === null) throw new Error('dialconf serve did not answer /healthz\n' + text.slice(-2000));
    if (!/in use/i.test(text)) throw new Error(`dialconf serve exited with status ${exited}\n` + text.slice(-2000));
  }
  throw new Error('no free port');
}

function stopDaemon() {
  if (daemon && daemon.exitCode === null) daemon.kill('SIGTERM');
}

// The REST API with the bearer token (checks from outside the browser).
async function apiCall(method, p, body, headers = {}) {
  const h = { Accept: 'application/json', ...headers };
  if (!('Cookie' in headers) && token) h.Authorization = 'Bearer ' + token;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const r = await fetch(base + '/api/v1' + p, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: r.status, json };
}

// Every email of the outbox (all states, as GET /meta lists them), or null
// when the endpoint 404s. One request per state: an email the worker sends
// between two of them shows up in both, so emails are counted once by id.
async function outbox() {
  const byId = new Map();
  const meta = await apiCall('GET', '/meta');
  eq(meta.status, 200, 'GET /meta');
  for (const { name: state } of meta.json.mailStates) {
    const r = await apiCall('GET', `/outbox?state=${state}&limit=500`);
    if (r.status === 404) return null;
    eq(r.status, 200, `GET /outbox?state=${state}`);
    for (const e of r.json.emails || []) byId.set(e.id, e);
  }
  return [...byId.values()];
}

// ---- the run -------------------------------------------------------------
const watchdog = setTimeout(() => {
  console.log(`not ok ${n + 1} - the e2e run finished within ${WATCHDOG / 1000} s`);
  stopDaemon();
  process.exit(1);
}, WATCHDOG);

let context = null;
try {
  await startDaemon();
} catch (e) {
  console.log('not ok 1 - dialconf serve starts');
  diag(e.message);
  process.exit(1);
}

const password = fs.readFileSync(path.join(dataDir, 'initial-admin-password'), 'utf8').trim();
token = execFileSync(bin, ['admin', 'token', '--data', dataDir], { encoding: 'utf8' }).trim();

try {
  context = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
  });
} catch (e) {
  console.log('not ok 1 - chromium starts');
  diag(e.message);
  stopDaemon();
  process.exit(1);
}
context.setDefaultTimeout(STEP_TIMEOUT);
const page = context.pages()[0] || (await context.newPage());
const cspViolations = [];
const pageErrors = [];
page.on('console', (m) => {
  if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
});
page.on('pageerror', (e) => pageErrors.push(e.message));

const signinMessage = page.locator('#signin-message');
const confidCell = page.locator('#ac-conference-id');
const dialog = page.locator('dialog[open]');
const userEmail = 'grace@example.org';
let grace = null;
let oldId = null;
let newId = null;
let firstNewId = null;

const sessionCookie = async () => (await context.cookies(base)).find((c) => c.name === 'dialconf_session');

await test('the sign-in page is served at /', async () => {
  const r = await page.goto(base + '/');
  eq(r.status(), 200, 'GET /');
  await page.locator('#signin-password').waitFor();
});

await test('a wrong password shows an error', async () => {
  await page.fill('#signin-username', 'admin');
  await page.fill('#signin-password', 'not-the-password');
  await page.click('#signin-submit');
  // The server makes a wrong password wait: the button shows it is busy.
  eq(await page.getAttribute('#signin-submit', 'aria-busy'), 'true', 'the button is busy while it waits');
  eq(await page.isDisabled('#signin-submit'), true, 'and disabled');
  await signinMessage.waitFor({ state: 'visible' });
  await until(async () => !(await page.isDisabled('#signin-submit')), 'the button is usable again');
  const text = (await signinMessage.textContent()).trim();
  assert(text.length > 0, 'an error message is shown');
  eq(await page.locator('#shell').isVisible(), false, 'the admin center stays hidden');
  diag('message: ' + text);
});

await test('sign in', async () => {
  await page.fill('#signin-username', 'admin');
  await page.fill('#signin-password', password);
  await page.click('#signin-submit');
  await page.locator('#users-results table').waitFor();
  assert(await sessionCookie(), 'a dialconf_session cookie is set');
  const c = await sessionCookie();
  eq(c.httpOnly, true, 'the cookie is HttpOnly');
  eq(c.sameSite, 'Strict', 'the cookie is SameSite=Strict');
  eq(await page.locator('#nav a[aria-current=page]').textContent(), 'Users', 'Users is the current page');
  await page.screenshot({ path: path.join(shotsDir, 'screenshot-users.png') });
});

await test('find a user by search', async () => {
  await page.fill('#user-search', 'grace');
  await page.press('#user-search', 'Enter');
  const row = page.locator('#users-results tbody tr');
  await until(async () => (await row.count()) === 1 && (await row.first().textContent()).includes(userEmail),
    'one row for Grace');
  await page.fill('#user-search', 'GRACE@EXAMPLE');
  await page.press('#user-search', 'Enter');
  await until(async () => (await row.count()) === 1 && (await row.first().textContent()).includes(userEmail),
    'search by email, any case');
  await page.fill('#user-search', 'grace');
  await page.press('#user-search', 'Enter');
  await until(async () => (await row.count()) === 1, 'back to grace');
});

await test('open Audio conferencing', async () => {
  await page.click('#users-results a:has-text("Grace Hopper")');
  await page.locator('h2:has-text("Audio conferencing")').waitFor();
  grace = (await apiCall('GET', '/users/' + userEmail)).json;
  oldId = grace.audioConferencing.conferenceId;
  assert(/^\d{7}$/.test(oldId), 'Grace has a conference ID');
  await until(async () => (await confidCell.textContent()).trim() === oldId, 'the conference ID is shown');
  assert(/#\/users\/[^/]+$/.test(page.url()), 'the URL is #/users/ID: ' + page.url());
  eq((await page.locator('#ac-pin').textContent()).trim(), 'Set', 'PIN set');
  await page.screenshot({ path: path.join(shotsDir, 'screenshot-user.png') });
});

let emailsBefore = null;

await test('Cancel in the reset window changes nothing', async () => {
  emailsBefore = await outbox();
  const button = page.locator('#ac-reset-confid');
  await button.click();
  await dialog.waitFor();
  const text = await dialog.textContent();
  assert(/stops working for callers at once/.test(text), 'the window says the old ID stops working at once');
  assert(/emailed/.test(text), 'the window says the user will be emailed');
  eq(await page.locator('#reset-send-email').isChecked(), true, '"Send email" is ticked by default');
  eq(await page.evaluate(() => document.activeElement && document.activeElement.id), 'reset-cancel', 'focus is on Cancel');
  await page.click('#reset-cancel');
  await dialog.waitFor({ state: 'detached' });
  eq(await page.evaluate(() => document.activeElement && document.activeElement.id), 'ac-reset-confid', 'focus returns to the button');
  // Escape closes it as well.
  await button.click();
  await dialog.waitFor();
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  eq(await page.evaluate(() => document.activeElement && document.activeElement.id), 'ac-reset-confid', 'focus returns after Escape');
  eq((await confidCell.textContent()).trim(), oldId, 'the page still shows the old ID');
  const now = (await apiCall('GET', '/users/' + userEmail)).json;
  eq(now.audioConferencing.conferenceId, oldId, 'the API still has the old ID');
  const ci = await apiCall('GET', '/conference-ids/' + oldId);
  eq(ci.json.state, 'live', 'the old ID is still live');
  if (emailsBefore) eq((await outbox()).length, emailsBefore.length, 'no email queued');
});

await test('Reset conference ID: confirm, and the new ID appears under Conference ID', async () => {
  await page.click('#ac-reset-confid');
  await dialog.waitFor();
  await page.screenshot({ path: path.join(shotsDir, 'screenshot-reset.png') });
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().includes('/reset-conference-id') && r.request().method() === 'POST'),
    page.click('#reset-confirm'),
  ]);
  eq(resp.status(), 200, 'reset answer');
  const body = await resp.json();
  eq(JSON.parse(resp.request().postData()).sendEmail, true, 'the request asks for the email');
  newId = body.conferenceId;
  firstNewId = newId;
  eq(body.previousConferenceId, oldId, 'previousConferenceId');
  await dialog.waitFor({ state: 'detached' });
  await until(async () => (await confidCell.textContent()).trim() === newId, 'the new ID under Conference ID');
  assert(newId !== oldId, 'a different ID');
  eq(await page.evaluate(() => document.activeElement && document.activeElement.id), 'ac-reset-confid', 'focus returns to the button');
  await page.reload();
  await until(async () => (await confidCell.textContent()).trim() === newId, 'the new ID after reload');
});

await test('the API says the old ID is revoked and the new one is live', async () => {
  const old = await apiCall('GET', '/conference-ids/' + oldId);
  eq(old.status, 200, 'GET old ID');
  eq(old.json.state, 'revoked', 'old ID state');
  assert(old.json.revokedAt, 'old ID has revokedAt');
  const cur = await apiCall('GET', '/conference-ids/' + newId);
  eq(cur.json.state, 'live', 'new ID state');
  eq(cur.json.kind, 'personal', 'new ID kind');
  eq(cur.json.user && cur.json.user.email, userEmail, 'new ID owner');
  const audit = await apiCall('GET', '/audit?limit=20');
  assert(audit.json.entries.some((e) => e.action === 'confid.reset' && e.target === userEmail && e.actor === 'admin'),
    'an audit record confid.reset by admin');
});

await test('the reset email is queued', async () => {
  const after = await outbox();
  if (!after || !emailsBefore) skip('outbox not available');
  const seen = new Set(emailsBefore.map((e) => e.id));
  const fresh = after.filter((e) => !seen.has(e.id) && e.to === userEmail);
  assert(fresh.some((e) => e.kind === 'conference-id-reset'), 'a conference-id-reset email to Grace: ' + JSON.stringify(fresh));
  emailsBefore = after;
});

await test('"Send email" unticked queues no email', async () => {
  await page.click('#ac-reset-confid');
  await dialog.waitFor();
  await page.uncheck('#reset-send-email');
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().includes('/reset-conference-id') && r.request().method() === 'POST'),
    page.click('#reset-confirm'),
  ]);
  eq(resp.status(), 200, 'reset answer');
  eq(JSON.parse(resp.request().postData()).sendEmail, false, 'the request says sendEmail:false');
  const body = await resp.json();
  eq(body.emailQueued, false, 'emailQueued');
  eq(body.previousConferenceId, newId, 'previousConferenceId');
  newId = body.conferenceId;
  await until(async () => (await confidCell.textContent()).trim() === newId, 'the newer ID shown');
  const msg = await page.locator('.message.ok').textContent();
  assert(/No email/.test(msg), 'the page says no email was sent: ' + msg);
});

await test('"Send email" unticked: nothing in the outbox', async () => {
  const after = await outbox();
  if (!after || !emailsBefore) skip('outbox not available');
  const seen = new Set(emailsBefore.map((e) => e.id));
  const fresh = after.filter((e) => !seen.has(e.id));
  eq(fresh.length, 0, 'new emails');
});

await test('Send conference info in email queues the email', async () => {
  const before = await outbox();
  await page.click('#ac-send-info');
  await dialog.waitFor();
  eq(await page.inputValue('#info-to'), userEmail, 'the primary address is proposed');
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().includes('/send-conference-info')),
    page.click('#info-send'),
  ]);
  if (resp.status() === 404) {
    await page.keyboard.press('Escape');
    skip('send-conference-info not available');
  }
  eq(resp.status(), 202, 'send-conference-info answer');
  await dialog.waitFor({ state: 'detached' });
  const msg = await page.locator('.message.ok').textContent();
  assert(msg.includes(userEmail), 'the page says where it went: ' + msg);
  const after = await outbox();
  if (!after || !before) skip('outbox not available (the request itself was accepted)');
  const seen = new Set(before.map((e) => e.id));
  const fresh = after.filter((e) => !seen.has(e.id) && e.to === userEmail);
  eq(fresh.length, 1, 'one new email to Grace');
  assert(!/pin/i.test(fresh[0].kind), 'not a PIN email: ' + fresh[0].kind);
});

// Whether the digits pin stand alone somewhere in html (not inside a longer number).
const shows = (html, pin) => new RegExp(`(^|\\D)${pin}(\\D|$)`).test(html);

await test('Reset PIN shows the PIN once and not after reload', async () => {
  await page.click('#ac-reset-pin');
  await dialog.waitFor();
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().includes('/reset-pin')),
    page.click('#pin-confirm'),
  ]);
  eq(resp.status(), 200, 'reset-pin answer');
  const pin = (await resp.json()).pin;
  assert(/^\d{4,12}$/.test(pin), 'a PIN came back');
  await page.locator('#new-pin').waitFor();
  eq((await page.locator('#new-pin').textContent()).trim(), pin, 'the dialog shows the PIN');
  await page.click('#pin-done');
  await dialog.waitFor({ state: 'detached' });
  await page.locator('#new-pin').waitFor({ state: 'detached' });
  assert(!shows(await page.content(), pin), 'the PIN is gone from the page once the window is closed');
  await page.reload();
  await until(async () => (await confidCell.textContent()).trim() === newId, 'user page after reload');
  eq((await page.locator('#ac-pin').textContent()).trim(), 'Set', 'PIN reads "Set"');
  assert(!shows(await page.content(), pin), 'the PIN is not on the page after reload');
});

await test('Edit: disable and enable audio conferencing, choose numbers from the dial-in numbers', async () => {
  await page.click('#ac-edit');
  await dialog.waitFor();
  eq(await page.evaluate(() => document.activeElement && document.activeElement.id), 'edit-enabled', 'focus in the dialog');
  const options = await page.locator('#edit-toll option').allTextContents();
  assert(options.some((o) => o.includes('+1 425 555 0100')), 'the toll select lists the dial-in numbers: ' + options);
  await page.uncheck('#edit-enabled');
  await page.click('#edit-save');
  await dialog.waitFor({ state: 'detached' });
  await until(async () => (await page.locator('#ac-enabled').textContent()).trim() === 'Off', 'shows Off');
  eq((await apiCall('GET', `/conference-ids/${newId}`)).json.state, 'revoked', 'disabling revoked the ID');
  await page.click('#ac-edit');
  await dialog.waitFor();
  await page.check('#edit-enabled');
  await page.click('#edit-save');
  await dialog.waitFor({ state: 'detached' });
  await until(async () => /^\d{7}$/.test((await confidCell.textContent()).trim()), 'a new ID after enabling');
  newId = (await confidCell.textContent()).trim();
  // The dialog hands focus back from its close event, a task after the
  // dialog leaves the page: wait for it rather than read it at once.
  await until(async () => (await page.evaluate(() => document.activeElement && document.activeElement.id)) === 'ac-edit',
    'focus back on Edit after the dialog closed');
});

await test('Users: server-side paging with Next and Previous', async () => {
  const created = [];
  for (let i = 0; i < 55; i++) {
    const r = await apiCall('POST', '/users', { email: `pager${String(i).padStart(2, '0')}@example.org`,
      displayName: `Pager ${i}`, audioConferencing: { enabled: false } });
    eq(r.status, 201, 'create user');
    created.push(r.json);
  }
  const lists = [];
  page.on('request', (r) => {
    if (r.url().includes('/api/v1/users?')) lists.push(new URL(r.url()).searchParams);
  });
  await page.goto(base + '/#/users');
  const rows = page.locator('#users-results tbody tr');
  await until(async () => (await rows.count()) === 50, 'a first page of 50');
  assert(lists.every((q) => Number(q.get('limit')) <= 50), 'never more than a page asked');
  eq(await page.locator('button:has-text("Previous")').isDisabled(), true, 'Previous disabled on page 1');
  await page.click('button:has-text("Next")');
  await until(async () => (await rows.count()) === 59 - 50, 'page 2 with the rest');
  assert(lists.at(-1).get('cursor'), 'page 2 asked with a cursor');
  eq(await page.locator('button:has-text("Next")').isDisabled(), true, 'Next disabled on the last page');
  await page.click('button:has-text("Previous")');
  await until(async () => (await rows.count()) === 50 && (await rows.first().textContent()).includes('ada@example.org'),
    'back on page 1');
});

await test('phone width: navigation behind Menu, no horizontal scrolling', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(base + '/#/users/' + encodeURIComponent(grace.id));
  await until(async () => (await confidCell.textContent()).trim() === newId, 'user page');
  eq(await page.locator('#nav').isVisible(), false, 'navigation folded');
  await page.click('#nav-toggle');
  eq(await page.locator('#nav').isVisible(), true, 'Menu opens the navigation');
  await page.keyboard.press('Escape');
  eq(await page.locator('#nav').isVisible(), false, 'Escape closes it');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert(overflow <= 0, 'no horizontal overflow: ' + overflow);
  await page.setViewportSize({ width: 1280, height: 800 });
});

await test('every page of the navigation opens without an error', async () => {
  for (const [hash, title] of [['#/meetings', 'Meetings'], ['#/numbers', 'Dial-in numbers'], ['#/settings', 'Settings'],
    ['#/outbox', 'Email outbox'], ['#/calls', 'Live calls'], ['#/jitsi', 'Jitsi rooms'], ['#/audit', 'Audit log'], ['#/tokens', 'API tokens'],
    ['#/users', 'Users']]) {
    await page.click(`#nav a[href="${hash}"]`);
    await until(async () => (await page.locator('#main h1').textContent()) === title, title);
    await until(async () => !(await page.locator('#main').getAttribute('aria-busy')), title + ' loaded');
    const errors = await page.locator('#main .message.error:visible').allTextContents();
    eq(errors.length, 0, `${title}: error messages ${JSON.stringify(errors)}`);
  }
});

await test('API tokens: create shows the secret once, it works, the list shows it, revoke ends it', async () => {
  await page.click('#nav a[href="#/tokens"]');
  await page.locator('#token-create').waitFor();
  await page.click('#token-create');
  await page.fill('#token-name', 'e2e-bot');
  await page.fill('#token-days', '30');
  await page.click('#token-create-confirm');
  const secret = (await page.locator('#new-token').textContent()).trim();
  assert(/^dct_/.test(secret), 'the secret is shown: ' + secret);
  await page.click('#token-done');
  const row = page.locator('#main tr', { hasText: 'e2e-bot' });
  await row.waitFor();
  eq(await page.locator('#main', { hasText: secret }).count(), 0, 'the list never shows the secret');
  const list = (await apiCall('GET', '/tokens')).json.tokens;
  const made = list.find((t) => t.name === 'e2e-bot');
  assert(made && made.expiresAt, 'made with an expiry: ' + JSON.stringify(list));
  const days = (new Date(made.expiresAt) - Date.now()) / 86400000;
  assert(days > 29.9 && days <= 30, 'it expires in 30 days: ' + days);
  const withIt = await apiCall('GET', '/users?limit=1', undefined, { Authorization: 'Bearer ' + secret, Cookie: '' });
  eq(withIt.status, 200, 'the new token works');
  await page.reload();
  await row.waitFor();
  await until(async () => !/Never/.test(await row.locator('td[data-label="Last used"]').textContent()),
    'the last use shows after a reload');
  await row.locator('button', { hasText: 'Revoke' }).click();
  await page.click('#token-revoke-confirm');
  await until(async () => (await page.locator('#main tr', { hasText: 'e2e-bot' }).count()) === 0, 'the row is gone');
  const after = await apiCall('GET', '/users?limit=1', undefined, { Authorization: 'Bearer ' + secret, Cookie: '' });
  eq(after.status, 401, 'the revoked token is refused');
});

await test('Settings: typed inputs, a value out of bounds shows the API problem', async () => {
  await page.click('#nav a[href="#/settings"]');
  await page.locator('#setting-pinLength').waitFor();
  eq(await page.getAttribute('#setting-pinLength', 'type'), 'number', 'pinLength is a number input');
  eq(await page.getAttribute('#setting-automaticallySendEmailsToUsers', 'type'), 'checkbox', 'booleans are checkboxes');
  eq(await page.locator('#main fieldset legend', { hasText: 'Other' }).count(), 0, 'every setting the server has sits in its group');
  const dialIn = page.locator('#main fieldset', { has: page.locator('legend', { hasText: 'Dial-in' }) });
  eq(await dialIn.locator('#setting-maxParticipants').count(), 1, 'maxParticipants under Dial-in');
  eq(await page.getAttribute('#setting-maxParticipants', 'max'), '10000', 'maxParticipants bounded as the server is');
  const lobby = (await apiCall('GET', '/meta')).json.settings.find((d) => d.name === 'dialinLobbyTimeoutSeconds');
  eq((await page.locator('label[for="setting-dialinLobbyTimeoutSeconds"]').textContent()).trim(),
    `${lobby.label} (${lobby.unit})`, 'label and unit as the server names them');
  // Bypass the page's own bound check so the server's 400 shows.
  await page.fill('#setting-organizationName', '');
  await page.click('button:has-text("Save")');
  const problem = page.locator('#main .message.error');
  await problem.waitFor();
  assert(/organizationName|Not saved/.test(await problem.textContent()), 'the 400 detail is shown');
  eq((await apiCall('GET', '/settings')).json.organizationName, 'Contoso', 'nothing changed');
  await page.fill('#setting-organizationName', 'Fabrikam');
  await page.fill('#setting-pinLength', '6');
  await page.click('button:has-text("Save")');
  await page.locator('#main .message.ok').waitFor();
  const s = (await apiCall('GET', '/settings')).json;
  eq(s.organizationName, 'Fabrikam', 'organizationName saved');
  eq(s.pinLength, 6, 'pinLength saved as a number');
});

await test('Dial-in numbers: the form names the prompt languages; one without prompts is refused', async () => {
  await page.click('#nav a[href="#/numbers"]');
  await page.click('button:has-text("Add number")');
  const dlg = page.locator('dialog[open]');
  await dlg.locator('input[name="languages"]').waitFor();
  const help = await dlg.locator('.field', { has: page.locator('input[name="languages"]') }).locator('.help').textContent();
  assert(help.includes('en-US, fr-FR, de-DE, es-ES, ja-JP'), 'the languages with prompts are named: ' + help);
  await dlg.locator('input[name="number"]').fill('+33170000099');
  await dlg.locator('input[name="countryCode"]').fill('FR');
  await dlg.locator('input[name="languages"]').fill('fr-FR, xx-XX');
  await dlg.locator('button:has-text("Add")').click();
  const problem = dlg.locator('.message.error');
  await problem.waitFor();
  assert((await problem.textContent()).includes('xx-XX has no prompts'), 'the 400 names the language');
  await dlg.locator('input[name="languages"]').fill('fr-FR, en-US');
  await dlg.locator('button:has-text("Add")').click();
  await page.locator('#main .message.ok').waitFor();
  const added = (await apiCall('GET', '/dial-in-numbers')).json.numbers.find((x) => x.number === '+33170000099');
  eq(JSON.stringify(added.languages), '["fr-FR","en-US"]', 'saved in the order given');
});

await test('a new tab of the same browser is signed in already (GET /session)', async () => {
  const tab = await context.newPage();
  try {
    await tab.goto(base + '/#/users/' + encodeURIComponent(grace.id));
    await tab.locator('#ac-conference-id').waitFor();
    eq(await tab.locator('#signin').isVisible(), false, 'no sign-in page');
    eq((await tab.locator('#ac-conference-id').textContent()).trim(), newId, 'the user page');
  } finally {
    await tab.close();
  }
});

await test('Jitsi rooms: a room the mapper gave an ID shows with it', async () => {
  const set = await apiCall('PATCH', '/settings', { jitsiJigasiUri: 'sip:jigasi@127.0.0.1:5099' });
  eq(set.status, 200, 'Jigasi configured');
  const r = await fetch(base + '/jitsi/conference-mapper?conference=e2e-room@conference.meet.example.org');
  eq(r.status, 200, 'the mapper answers');
  const id = String((await r.json()).id);
  await page.click('#nav a[href="#/jitsi"]');
  const row = page.locator('#main tr', { hasText: 'e2e-room@conference.meet.example.org' });
  await until(async () => (await row.count()) === 1, 'the room in the list');
  assert((await row.textContent()).includes(id), 'with its conference ID ' + id);
});

await test('a state-changing request with the cookie but without the CSRF header gets 403', async () => {
  const c = await sessionCookie();
  assert(c, 'signed in');
  const cookie = { Cookie: `${c.name}=${c.value}` };
  const get = await apiCall('GET', '/users/' + userEmail, undefined, cookie);
  eq(get.status, 200, 'GET with the cookie alone');
  const pinBefore = await apiCall('GET', '/audit?limit=1');
  const post = await apiCall('POST', `/users/${userEmail}/audio-conferencing/reset-conference-id`, {}, cookie);
  eq(post.status, 403, 'POST without X-CSRF-Token');
  const wrong = await apiCall('POST', `/users/${userEmail}/audio-conferencing/reset-conference-id`, {},
    { ...cookie, 'X-CSRF-Token': 'not-the-token' });
  eq(wrong.status, 403, 'POST with a wrong X-CSRF-Token');
  const patch = await apiCall('PATCH', '/settings', { pinLength: 7 }, cookie);
  eq(patch.status, 403, 'PATCH without X-CSRF-Token');
  eq((await apiCall('GET', '/users/' + userEmail)).json.audioConferencing.conferenceId, newId, 'the ID did not change');
  eq((await apiCall('GET', '/audit?limit=1')).json.entries[0].id, pinBefore.json.entries[0].id, 'nothing audited');
});

await test('after sign-out the old cookie gets 401', async () => {
  const c = await sessionCookie();
  const cookie = { Cookie: `${c.name}=${c.value}` };
  await page.click('#signout');
  await page.locator('#signin-password').waitFor({ state: 'visible' });
  assert(/signed out/.test(await signinMessage.textContent()), 'the page says so');
  const r = await apiCall('GET', '/users?limit=1', undefined, cookie);
  eq(r.status, 401, 'GET with the old cookie');
  // The page goes back to sign-in, also when asked for a page directly.
  await page.goto(base + '/#/users/' + encodeURIComponent(grace.id));
  await page.locator('#signin-password').waitFor({ state: 'visible' });
});

await test('a session ended on the server sends the page back to sign-in', async () => {
  await page.fill('#signin-password', password);
  await page.click('#signin-submit');
  await page.locator('#ac-conference-id').waitFor();
  const c = await sessionCookie();
  const csrf = await page.evaluate(() => sessionStorage.getItem('dialconf.csrfToken'));
  eq((await apiCall('DELETE', '/session', undefined, { Cookie: `${c.name}=${c.value}`, 'X-CSRF-Token': csrf })).status, 204,
    'DELETE /session from outside');
  await page.click('#nav a[href="#/audit"]');
  await page.locator('#signin-password').waitFor({ state: 'visible' });
  assert(/session has ended/.test(await signinMessage.textContent()), 'the page says the session ended');
});

await test('repeated wrong passwords throttle this address: the 429 shows as a plain message', async () => {
  eq((await apiCall('PATCH', '/settings', { adminSigninFailureLimit: 2 })).status, 200, 'lower the limit to 2');
  let text = '';
  for (let i = 0; i < 4 && !/Too many/i.test(text); i++) {
    await page.fill('#signin-password', 'wrong-password-' + i);
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/session') && r.request().method() === 'POST'),
      page.click('#signin-submit'),
    ]);
    await until(async () => !(await page.locator('#signin-submit').isDisabled()), 'the button is usable again');
    text = await signinMessage.textContent();
    if (resp.status() === 429) break;
  }
  assert(/Too many failed sign-ins from this address/i.test(text), 'the page says this address is throttled: ' + text);
  assert(/Try again in \d+ (seconds|minutes)/.test(text), 'and when to try again: ' + text);
  // Even the right password is refused from here now.
  await page.fill('#signin-password', password);
  await page.click('#signin-submit');
  await until(async () => !(await page.locator('#signin-submit').isDisabled()), 'answered');
  eq(await page.locator('#shell').isVisible(), false, 'still signed out');
});

await test('the pages run under the CSP without violations or script errors', async () => {
  eq(cspViolations.length, 0, 'CSP violations ' + JSON.stringify(cspViolations));
  eq(pageErrors.length, 0, 'page errors ' + JSON.stringify(pageErrors));
});

await context.close().catch(() => {});
stopDaemon();
clearTimeout(watchdog);
console.log(`1..${n}`);
if (failed) diag(`serve log: ${logPath}`);
else fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
if (shotsArg > 0) diag('screenshots in ' + shotsDir);
process.exit(failed ? 1 : 0);
