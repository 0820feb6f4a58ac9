// api.js: the admin center's only way to the server, the REST API of
// docs/api.md. The session cookie is HttpOnly and travels by itself
// (credentials: 'same-origin'); the CSRF token from the sign-in answer lives
// in sessionStorage and goes in X-CSRF-Token on every state-changing request.

const CSRF_KEY = 'dialconf.csrfToken';
const USER_KEY = 'dialconf.username';
const BASE = '/api/v1';

// An API error: status, the problem's title and detail, and Retry-After.
export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    const detail = problem && (problem.detail || problem.title);
    super(detail || `The server answered ${status}.`);
    this.status = status;
    this.problem = problem || null;
    this.retryAfter = retryAfter;
  }
}

let onUnauthorized = () => {};

// Called with no argument when the session has ended (any 401 but sign-in).
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

export function session() {
  const csrfToken = sessionStorage.getItem(CSRF_KEY);
  return csrfToken ? { csrfToken, username: sessionStorage.getItem(USER_KEY) || '' } : null;
}

function forgetSession() {
  sessionStorage.removeItem(CSRF_KEY);
  sessionStorage.removeItem(USER_KEY);
}

async function parseBody(res) {
  if (res.status === 204) return null;
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text.slice(0, 200) };
  }
}

// request(method, path, {body, query, signal}) -> parsed JSON (or null).
// Throws ApiError for any status >= 400.
export async function request(method, path, opts = {}) {
  let url = BASE + path;
  if (opts.query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query)) {
      if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    }
    const s = q.toString();
    if (s) url += '?' + s;
  }
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store', signal: opts.signal };
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  }
  if (method !== 'GET' && method !== 'HEAD') {
    const s = session();
    if (s) headers['X-CSRF-Token'] = s.csrfToken;
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, { detail: 'The server cannot be reached. Check that dialconf is running.' });
  }
  const data = await parseBody(res);
  if (res.status >= 400) {
    const err = new ApiError(res.status, data, res.headers.get('Retry-After'));
    if (res.status === 401 && !opts.noSessionCheck) {
      forgetSession();
      onUnauthorized();
    }
    throw err;
  }
  return data;
}

export const get = (path, opts) => request('GET', path, opts);
export const post = (path, body, opts = {}) => request('POST', path, { ...opts, body });
export const patch = (path, body, opts = {}) => request('PATCH', path, { ...opts, body });
export const del = (path, opts) => request('DELETE', path, opts);

// The lists the server is built with (GET /api/v1/meta): mail and call
// states, the settings table. Asked once per page load; a failure is asked
// again next time.
let metaAnswer = null;
export function meta() {
  if (!metaAnswer) {
    metaAnswer = get('/meta').catch((err) => {
      metaAnswer = null;
      throw err;
    });
  }
  return metaAnswer;
}

// Path component for a user id, email, number or other value.
export const enc = (s) => encodeURIComponent(String(s));

export async function signIn(username, password) {
  const data = await request('POST', '/session', { body: { username, password }, noSessionCheck: true });
  if (!data || typeof data.csrfToken !== 'string') {
    throw new ApiError(500, { detail: 'The server did not return a session.' });
  }
  sessionStorage.setItem(CSRF_KEY, data.csrfToken);
  sessionStorage.setItem(USER_KEY, data.username || username);
  return data;
}

// A tab opened after sign-in has the cookie but not the CSRF token:
// GET /session gives it again. True when a session was picked up.
export async function resume() {
  try {
    const data = await request('GET', '/session', { noSessionCheck: true });
    if (data && typeof data.csrfToken === 'string' && data.csrfToken) {
      sessionStorage.setItem(CSRF_KEY, data.csrfToken);
      sessionStorage.setItem(USER_KEY, data.username || '');
      return true;
    }
  } catch {
    // 401: not signed in.
  }
  return false;
}

export async function signOut() {
  try {
    await request('DELETE', '/session', { noSessionCheck: true });
  } finally {
    forgetSession();
  }
}
