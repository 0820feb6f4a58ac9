// users.js: #/users — search by name or email, one page of users at a time
// (server-side paging with nextCursor; never the whole list).
import * as api from './api.js';
import { h, busy, say, messageBox, pageHeader, table, field, checkField, openDialog, problemText } from './ui.js';

const PAGE_SIZE = 50;
// Cursors of the pages before the current one, for Previous (per search).
let history = { search: '', cursors: [] };

function setHash(search, cursor) {
  const q = new URLSearchParams();
  if (search) q.set('search', search);
  if (cursor) q.set('cursor', cursor);
  const s = q.toString();
  window.history.replaceState(null, '', '#/users' + (s ? '?' + s : ''));
}

export async function usersPage(ctx) {
  let search = ctx.params.get('search') || '';
  let cursor = ctx.params.get('cursor') || '';
  if (history.search !== search) history = { search, cursors: [] };
  let nextCursor = null;
  let inflight = null;
  let timer = null;

  const addBtn = h('button.primary', { type: 'button' }, 'Add user');
  const input = h('input', { type: 'search', id: 'user-search', name: 'search', value: search,
    autocomplete: 'off', placeholder: 'Name or email', 'aria-controls': 'users-results' });
  const searchBtn = h('button', { type: 'submit' }, 'Search');
  const form = h('form.search', { role: 'search' },
    h('label', { for: 'user-search' }, 'Search by name or email'),
    h('div.search-row', input, searchBtn));
  const msg = messageBox();
  const status = h('p.muted.page-status', { role: 'status', 'aria-live': 'polite' });
  const results = h('div#users-results');
  const prevBtn = h('button', { type: 'button' }, 'Previous');
  const nextBtn = h('button', { type: 'button' }, 'Next');
  const pager = h('nav.pager', { 'aria-label': 'Pages of users' }, prevBtn, nextBtn);

  ctx.main.append(pageHeader('Users', addBtn), form, msg, status, results, pager);

  async function load(button) {
    if (inflight) inflight.abort();
    const ac = new AbortController();
    inflight = ac;
    setHash(search, cursor);
    results.setAttribute('aria-busy', 'true');
    const run = async () => {
      try {
        const data = await api.get('/users', { query: { search, limit: PAGE_SIZE, cursor }, signal: ac.signal });
        if (ac.signal.aborted || !ctx.alive()) return;
        say(msg, '', '');
        nextCursor = data.nextCursor || null;
        render(data.users || []);
      } catch (err) {
        if (err.name === 'AbortError' || !ctx.alive()) return;
        say(msg, 'error', problemText(err));
      } finally {
        if (inflight === ac) {
          inflight = null;
          results.removeAttribute('aria-busy');
        }
      }
    };
    if (button) await busy(button, run);
    else await run();
    prevBtn.disabled = !cursor;
    nextBtn.disabled = !nextCursor;
  }

  function render(users) {
    const page = history.cursors.length + 1;
    const first = (page - 1) * PAGE_SIZE + 1;
    status.textContent = users.length
      ? `Page ${page}: users ${first}–${first + users.length - 1}${search ? ` matching “${search}”` : ''}`
      : '';
    results.replaceChildren(table('Users', [
      { label: 'Name', cell: (u) => h('a', { href: `#/users/${api.enc(u.id)}` }, u.displayName || u.email) },
      { label: 'Email', cell: (u) => u.email },
      { label: 'Audio conferencing', cell: (u) => (u.audioConferencing && u.audioConferencing.enabled
        ? h('span.badge.on', 'On') : h('span.badge.off', 'Off')) },
      { label: 'Conference ID', className: 'mono', cell: (u) => (u.audioConferencing && u.audioConferencing.conferenceId) || '—' },
    ], users, { empty: search ? `No user matches “${search}”.` : 'There are no users yet.' }));
  }

  function restart() {
    history = { search, cursors: [] };
    cursor = '';
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearTimeout(timer);
    search = input.value.trim();
    restart();
    load(searchBtn);
  });
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const s = input.value.trim();
      if (s === search) return;
      search = s;
      restart();
      load();
    }, 250);
  });
  nextBtn.addEventListener('click', () => {
    if (!nextCursor) return;
    history.cursors.push(cursor);
    cursor = nextCursor;
    load(nextBtn).then(() => results.scrollIntoView({ block: 'start' }));
  });
  prevBtn.addEventListener('click', () => {
    cursor = history.cursors.length ? history.cursors.pop() : '';
    load(prevBtn);
  });
  addBtn.addEventListener('click', () => addUserDialog(addBtn));
  ctx.onCleanup(() => {
    clearTimeout(timer);
    if (inflight) inflight.abort();
  });

  prevBtn.disabled = true;
  nextBtn.disabled = true;
  await load();
}

function addUserDialog(opener) {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'off', required: true });
  const name = h('input', { name: 'displayName', autocomplete: 'off', required: true });
  const enabled = h('input', { type: 'checkbox', name: 'enabled', checked: true });
  const msg = messageBox();
  openDialog({
    title: 'Add user',
    returnFocus: opener,
    initialFocus: email,
    body: [msg, field('Email address', email), field('Display name', name),
      checkField('Enable audio conferencing', enabled,
        'Issues a conference ID and an organizer PIN, and emails them to the user when emails are on.')],
    buttons: [
      { label: 'Add', kind: 'primary', submit: true, action: async (dlg) => {
        if (!email.value.trim() || !name.value.trim()) {
          say(msg, 'error', 'Enter an email address and a display name.');
          return;
        }
        try {
          const u = await api.post('/users', { email: email.value.trim(), displayName: name.value.trim(),
            audioConferencing: { enabled: enabled.checked } });
          dlg.close();
          location.hash = `#/users/${api.enc(u.id)}`;
        } catch (err) {
          say(msg, 'error', problemText(err));
        }
      } },
      { label: 'Cancel' },
    ],
  });
}
