// The page's UI. Everything that talks to the API is in api.js.
// Text from the API goes into the page with textContent only, never
// innerHTML: an error message is data, not markup.
import { AuthClient, ApiError } from './api.js';

const $ = (id) => document.getElementById(id);

// make dev opens this page with ?api=<its API URL>. A real app hard-codes
// its API: a page that talks to whatever a link names could be pointed at a
// look-alike API that collects passwords.
const DEFAULT_API = 'http://127.0.0.1:3000';

let client = null;
let mfaToken = null; // from a 403 mfa_required; memory only
let seq = 0;

function apiBase() {
  const raw = $('api-base').value.trim();
  let url;
  try {
    url = new URL(raw);
  } catch {
    throw new ApiError(0, 'invalid_api_url', `"${raw}" is not a URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ApiError(0, 'invalid_api_url', 'The API URL must start with https:// (or http:// for make dev).');
  }
  return url.href.replace(/\/+$/, '');
}

// One client per API: a new URL forgets the tokens of the old one.
function api() {
  const base = apiBase();
  if (client?.baseURL !== base) {
    client?.forget();
    client = new AuthClient(base, { onCall: logCall });
    mfaToken = null;
  }
  return client;
}

// run does one user action: buttons off while it runs, then the outcome in
// #outcome (data-action, data-result, data-seq: what a test waits for).
async function run(action, fn) {
  const outcome = $('outcome');
  $('notice').textContent = '';
  $('error').hidden = true;
  setBusy(true);
  let result = 'ok';
  try {
    result = (await fn()) ?? 'ok';
  } catch (e) {
    result = 'error';
    showError(e);
    if (!(e instanceof ApiError)) console.error(e); // a bug in this page
  } finally {
    setBusy(false);
    render();
    outcome.dataset.action = action;
    outcome.dataset.result = result;
    outcome.dataset.seq = String(++seq);
  }
}

function setBusy(on) {
  document.body.toggleAttribute('data-busy', on);
  for (const el of document.querySelectorAll('button, input')) el.disabled = on;
}

function notice(text) {
  $('notice').textContent = text;
}

// Every error as an app should show it: the stable code (what the code
// branches on) and the message (what the user reads).
function showError(e) {
  const err = e instanceof ApiError ? e : new ApiError(0, 'page_error', String(e));
  const box = $('error');
  box.dataset.code = err.code;
  box.dataset.status = String(err.status);
  $('error-code').textContent = err.code || '(no code: an API Gateway answer)';
  $('error-status').textContent = err.status ? `HTTP ${err.status}` : 'no HTTP answer';
  $('error-message').textContent = err.message;
  const rules = $('error-rules');
  rules.replaceChildren();
  if (err.code === 'weak_password') {
    for (const rule of unmetRules(err.message)) {
      const li = document.createElement('li');
      li.textContent = rule;
      rules.append(li);
    }
  }
  box.hidden = false;
}

// A weak_password message lists the unmet rules after a colon, separated
// by semicolons: "The password does not meet the policy: rule; rule."
function unmetRules(message) {
  const i = message.indexOf(': ');
  if (i < 0) return [];
  return message.slice(i + 2).replace(/\.$/, '').split('; ').filter(Boolean);
}

function logCall({ method, path, grant, status }) {
  const li = document.createElement('li');
  li.textContent = `${method} ${path}${grant ? ` (${grant.replace(/^.*\//, '')})` : ''} → ${status || 'no answer'}`;
  li.dataset.path = path;
  li.dataset.status = String(status);
  const log = $('log');
  log.prepend(li);
  while (log.children.length > 30) log.lastElementChild.remove();
}

function render() {
  const state = mfaToken ? 'mfa' : client?.signedIn ? 'signed-in' : 'signed-out';
  document.body.dataset.state = state;
  $('signed-out').hidden = state !== 'signed-out';
  $('mfa').hidden = state !== 'mfa';
  $('signed-in').hidden = state !== 'signed-in';
  if (state !== 'signed-in') return;
  const exp = client.accessExpiresAt;
  $('access-info').textContent = exp
    ? `in memory, expires ${exp.toLocaleString()}`
    : 'none yet: the next call gets one with the refresh token';
  $('refresh-info').textContent = !client.hasRefreshToken
    ? 'none: the API gave no refresh token (the tenant must allow offline_access); sign in again when the access token expires'
    : client.remember
      ? 'in sessionStorage: this tab only, survives a reload'
      : 'in memory: a reload signs you out';
  $('refresh-count').textContent = String(client.refreshes);
  $('remember').checked = client.remember;
}

function credentials() {
  return [$('email').value.trim(), $('password').value];
}

function showMe(me) {
  $('me-user').textContent = me.user_id;
  $('me-out').textContent = JSON.stringify(me, null, 2);
}

async function signUp() {
  const [email, password] = credentials();
  const created = await api().signup(email, password);
  $('signup-user').textContent = created.user_id;
  notice(`Account created for ${email}. Sign in now.`);
}

async function signIn() {
  const [email, password] = credentials();
  const c = api();
  c.remember = $('remember').checked;
  try {
    await c.signIn(email, password);
  } catch (e) {
    if (!(e instanceof ApiError) || e.code !== 'mfa_required') throw e;
    mfaToken = e.mfaToken;
    $('password').value = '';
    return startMFA();
  }
  $('password').value = '';
  showMe(await c.me());
  notice('Signed in.');
}

// The MFA step: a user without a factor enrolls an authenticator app; a
// user with one types its code. A recovery code works in both cases.
async function startMFA() {
  let list;
  try {
    list = await client.mfaAuthenticators(mfaToken);
  } catch (e) {
    // Without the list, offer both ways; an unusable mfa_token means
    // signing in again.
    $('mfa-enroll-step').hidden = false;
    $('mfa-code-step').hidden = false;
    if (e instanceof ApiError && e.code === 'mfa_token_invalid') mfaToken = null;
    throw e;
  }
  const enrolled = list.some((a) => a.type === 'otp' && a.active);
  $('mfa-enroll-step').hidden = enrolled;
  $('mfa-enrollment').hidden = true;
  $('mfa-code-step').hidden = !enrolled;
  notice(enrolled
    ? 'This account needs a second factor: type the code from your authenticator app.'
    : 'This account needs a second factor: set up an authenticator app first.');
  return 'mfa';
}

async function mfaEnroll() {
  const e = await client.mfaEnrollOTP(mfaToken);
  const uri = $('mfa-uri');
  uri.textContent = e.barcode_uri;
  // A link opens the authenticator app on a phone; only an otpauth: URI
  // becomes one (never let an answer put a javascript: URL in the page).
  if (e.barcode_uri.startsWith('otpauth://')) uri.href = e.barcode_uri;
  $('mfa-secret').textContent = e.secret;
  const codes = $('mfa-recovery-codes');
  codes.replaceChildren(...(e.recovery_codes ?? []).map((c) => {
    const li = document.createElement('li');
    li.textContent = c;
    return li;
  }));
  $('mfa-recovery-box').hidden = codes.children.length === 0;
  $('mfa-enrollment').hidden = false;
  $('mfa-code-step').hidden = false;
  notice('Add the account to your authenticator app, then type the code it shows.');
}

// After a wrong code the user tries again; an expired or foreign mfa_token
// means signing in again.
async function mfaDone(grant) {
  try {
    await grant();
  } catch (e) {
    if (e instanceof ApiError && e.code === 'mfa_token_invalid') mfaToken = null;
    throw e;
  }
  mfaToken = null;
  $('mfa-otp').value = '';
  $('mfa-recovery-code').value = '';
  showMe(await client.me());
}

async function mfaVerify() {
  await mfaDone(() => client.mfaVerifyOTP(mfaToken, $('mfa-otp').value.trim()));
  notice('Signed in with your authenticator app.');
}

async function mfaRecover() {
  let fresh = null;
  await mfaDone(async () => { fresh = await client.mfaRecover(mfaToken, $('mfa-recovery-code').value.trim()); });
  $('new-recovery-code').textContent = fresh ?? '';
  $('new-recovery-box').hidden = fresh === null;
  notice('Signed in with a recovery code.');
}

async function getMe() {
  showMe(await api().me());
  notice('GET /me answered.');
}

async function refresh() {
  await api().refresh();
  notice('New access token.');
}

// Three calls at once with a token the API refuses: each gets a 401, and
// they share one refresh before retrying.
async function burst() {
  const c = api();
  const before = c.refreshes;
  c.invalidateAccessToken();
  const answers = await Promise.all([c.me(), c.me(), c.me()]);
  showMe(answers[0]);
  const n = c.refreshes - before;
  $('burst-out').textContent = `${answers.length} calls answered after ${n} refresh${n === 1 ? '' : 'es'}.`;
  $('burst-out').dataset.refreshes = String(n);
}

async function signOut() {
  $('me-out').textContent = '';
  $('me-user').textContent = '';
  $('new-recovery-box').hidden = true;
  const revoked = await api().signOut();
  notice(revoked
    ? 'Signed out: the refresh token is revoked. An access token already issued stays valid until it expires.'
    : 'Signed out: this page forgot its access token, which stays valid until it expires.');
}

async function passwordReset() {
  const answer = await api().passwordReset($('email').value.trim());
  notice(answer.message);
}

function cancelMFA() {
  mfaToken = null;
  notice('Signed out.');
}

function bind(id, action, fn) {
  $(id).addEventListener('click', () => run(action, fn));
}

$('origin').textContent = location.origin;
$('api-base').value = new URLSearchParams(location.search).get('api') ?? DEFAULT_API;
$('api-base').addEventListener('change', () => {
  // Keep the URL in the address bar, so a reload talks to the same API.
  const url = new URL(location.href);
  url.searchParams.set('api', $('api-base').value.trim());
  history.replaceState(null, '', url);
  run('api', () => { api(); });
});
$('credentials').addEventListener('submit', (ev) => {
  ev.preventDefault();
  run('signin', signIn);
});
bind('signup', 'signup', signUp);
bind('reset', 'reset', passwordReset);
bind('mfa-enroll', 'mfa-enroll', mfaEnroll);
bind('mfa-verify', 'mfa-verify', mfaVerify);
bind('mfa-recover', 'mfa-recover', mfaRecover);
bind('mfa-cancel', 'mfa-cancel', cancelMFA);
bind('me', 'me', getMe);
bind('refresh', 'refresh', refresh);
bind('burst', 'burst', burst);
bind('signout', 'signout', signOut);
$('remember').addEventListener('change', () => {
  if (client) client.remember = $('remember').checked;
  render();
});

run('load', () => {
  // A refresh token kept in sessionStorage by an earlier visit of this tab.
  if (api().signedIn) notice('Session restored: the next call refreshes the access token.');
});
