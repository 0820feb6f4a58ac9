// app.js: sign-in, the layout and the hash router (#/users, #/users/ID, ...).
import * as api from './api.js';
import { busy, say } from './ui.js';
import { usersPage } from './users.js';
import { userPage } from './user.js';
import { numbersPage } from './numbers.js';
import { settingsPage } from './settings.js';
import { outboxPage } from './outbox.js';
import { callsPage } from './calls.js';
import { jitsiPage } from './jitsi.js';
import { meetingsPage } from './meetings.js';
import { auditPage } from './audit.js';
import { reportsPage } from './reports.js';
import { tokensPage } from './tokens.js';

const routes = [
  { re: /^\/users\/([^/]+)$/, section: 'users', page: userPage },
  { re: /^\/users$/, section: 'users', page: usersPage },
  { re: /^\/meetings$/, section: 'meetings', page: meetingsPage },
  { re: /^\/numbers$/, section: 'numbers', page: numbersPage },
  { re: /^\/settings$/, section: 'settings', page: settingsPage },
  { re: /^\/outbox$/, section: 'outbox', page: outboxPage },
  { re: /^\/calls$/, section: 'calls', page: callsPage },
  { re: /^\/reports$/, section: 'reports', page: reportsPage },
  { re: /^\/jitsi$/, section: 'jitsi', page: jitsiPage },
  { re: /^\/audit$/, section: 'audit', page: auditPage },
  { re: /^\/tokens$/, section: 'tokens', page: tokensPage },
];

const $ = (id) => document.getElementById(id);
let cleanup = null; // the current page's teardown (timers, pending fetches)
let routeGen = 0; // bumps on every render: a page checks ctx.alive() after awaits

// "#/users/3?x=1" -> {path: "/users/3", params: URLSearchParams}
export function currentRoute() {
  const raw = location.hash.replace(/^#/, '') || '/users';
  const [path, query] = raw.split('?');
  return { path, params: new URLSearchParams(query || '') };
}

function showSignin(notice) {
  routeGen++;
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  for (const d of document.querySelectorAll('dialog')) d.close();
  $('shell').hidden = true;
  $('main').replaceChildren();
  $('signin').hidden = false;
  document.title = 'Sign in · dialconf admin center';
  say($('signin-message'), notice ? 'info' : '', notice || '');
  $('signin-password').value = '';
  const user = $('signin-username');
  (user.value ? $('signin-password') : user).focus();
}

function showShell() {
  $('signin').hidden = true;
  $('shell').hidden = false;
  const s = api.session();
  $('whoami').textContent = s && s.username ? `Signed in as ${s.username}` : '';
}

let resumeTried = false;

async function route() {
  if (!api.session() && !resumeTried) {
    resumeTried = true;
    await api.resume();
  }
  if (!api.session()) {
    showSignin('');
    return;
  }
  showShell();
  const { path, params } = currentRoute();
  const r = routes.find((x) => x.re.test(path));
  if (!r) {
    location.replace('#/users');
    return;
  }
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.section === r.section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  closeNav();
  const main = $('main');
  const m = r.re.exec(path);
  const gen = ++routeGen;
  const ctx = { main, params, alive: () => gen === routeGen, arg: m[1] ? decodeURIComponent(m[1]) : null, onCleanup: (fn) => { if (gen === routeGen) cleanup = fn; else fn(); } };
  main.replaceChildren();
  main.setAttribute('aria-busy', 'true');
  try {
    await r.page(ctx);
  } finally {
    main.removeAttribute('aria-busy');
  }
  if (gen !== routeGen) return;
  const h1 = main.querySelector('h1');
  if (h1) {
    document.title = h1.textContent + ' · dialconf admin center';
    if (!ctx.keepFocus) h1.focus({ preventScroll: true });
  }
}

function closeNav() {
  $('nav').classList.remove('open');
  $('nav-toggle').setAttribute('aria-expanded', 'false');
}

function init() {
  api.setUnauthorizedHandler(() => {
    showSignin('Your session has ended. Sign in again.');
  });

  $('signin-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const msg = $('signin-message');
    const username = $('signin-username').value.trim();
    const password = $('signin-password').value;
    if (!username || !password) {
      say(msg, 'error', 'Enter your username and password.');
      (username ? $('signin-password') : $('signin-username')).focus();
      return;
    }
    await busy($('signin-submit'), async () => {
      try {
        await api.signIn(username, password);
        resumeTried = true;
        say(msg, '', '');
        if (!location.hash || location.hash === '#/' || location.hash === '#') location.replace('#/users');
        await route();
      } catch (err) {
        let text;
        if (err.status === 429) {
          const wait = Number(err.retryAfter);
          const when = Number.isFinite(wait) && wait > 0
            ? (wait >= 120 ? `in ${Math.ceil(wait / 60)} minutes` : `in ${Math.ceil(wait)} seconds`)
            : 'later';
          text = `Too many failed sign-ins from this address. Try again ${when}.`;
        } else if (err.status === 503 && err.retryAfter) {
          text = 'The server is busy checking other sign-ins. Try again in a moment.';
        } else if (err.status === 401) {
          text = err.problem && err.problem.detail ? `${err.problem.detail}` : 'Wrong username or password.';
        } else {
          text = err.message;
        }
        say(msg, 'error', text);
        $('signin-password').select();
        $('signin-password').focus();
      }
    });
  });

  $('signout').addEventListener('click', async (ev) => {
    await busy(ev.currentTarget, async () => {
      try {
        await api.signOut();
      } catch {
        // The session is forgotten in this tab either way.
      }
    });
    showSignin('You have signed out.');
  });

  $('nav-toggle').addEventListener('click', () => {
    const open = !$('nav').classList.contains('open');
    $('nav').classList.toggle('open', open);
    $('nav-toggle').setAttribute('aria-expanded', String(open));
  });
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && $('nav').classList.contains('open')) {
      closeNav();
      $('nav-toggle').focus();
    }
  });

  window.addEventListener('hashchange', route);
  route();
}

init();
