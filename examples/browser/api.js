// A client for authapi, written the way a browser app should talk to it.
// No framework, no dependencies: copy what you need. app.js is only the UI.
//
// Where the tokens live
// - The access token stays in this object's memory: never in localStorage,
//   sessionStorage, a cookie, the DOM or a URL. A reload forgets it; the next
//   call gets a new one with the refresh token.
// - The refresh token is a long-lived credential. By default it is in memory
//   too, so a reload signs the user out. With `remember` on it goes to
//   sessionStorage: it survives reloads of this tab and goes when the tab
//   closes, but any script running on this origin can read it, so one XSS bug
//   leaks it. Turn on refresh-token rotation in Auth0: a stolen token that is
//   used after the app's own refresh counts as reuse and revokes the whole
//   family. Not localStorage: every tab shares it, and two tabs refreshing the
//   same rotating token look like reuse and sign each other out. (A duplicated
//   tab copies sessionStorage, with the same effect.)
// - The mfa_token of an `mfa_required` answer is a 10-minute credential: keep
//   it in memory for the MFA step, never in a URL.

const REFRESH_KEY = 'authapi.refresh_token';

// Auth0's MFA grant types, as POST /token takes them.
export const MFA_OTP_GRANT = 'http://auth0.com/oauth/grant-type/mfa-otp';
export const MFA_RECOVERY_CODE_GRANT = 'http://auth0.com/oauth/grant-type/mfa-recovery-code';

// An answer that is not 2xx, or no answer at all (status 0). `code` and
// `message` come from the API's error body; API Gateway's own answers
// (authorizer 401, throttling 429) carry only a message.
export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.body = body;
  }

  // The credential for the MFA step, on a 403 `mfa_required`.
  get mfaToken() {
    return this.body?.mfa_token ?? null;
  }
}

export class AuthClient {
  #base;
  #access = null;
  #accessExpiresAt = 0; // ms since the epoch
  #refresh = null;
  #remember = false;
  #refreshing = null; // the one refresh in flight, shared by every caller
  #onCall;

  // onCall({method, path, grant, status}) is told about every request, for
  // the page's log (no token or body in it).
  constructor(baseURL, { onCall } = {}) {
    this.#base = baseURL;
    this.#onCall = onCall;
    this.refreshes = 0;
    this.#refresh = sessionStorage.getItem(REFRESH_KEY);
    this.#remember = this.#refresh !== null;
  }

  get baseURL() { return this.#base; }

  // Signed in: an access token that has not expired, or a refresh token to
  // get one.
  get signedIn() { return this.#refresh !== null || this.#accessValid(); }
  get accessExpiresAt() { return this.#access ? new Date(this.#accessExpiresAt) : null; }
  get hasRefreshToken() { return this.#refresh !== null; }
  get remember() { return this.#remember; }

  set remember(on) {
    this.#remember = Boolean(on);
    this.#saveRefresh();
  }

  // POST /signup → {message, user_id}. Password rules are the tenant's:
  // don't repeat them here, show the `weak_password` answer instead.
  signup(email, password) {
    return this.#call('POST', '/signup', { json: { email, password } });
  }

  // The password grant. A tenant that requires MFA answers 403
  // `mfa_required`: catch it and go on with error.mfaToken.
  async signIn(email, password) {
    this.#store(await this.#token({ grant_type: 'password', email, password }));
  }

  // GET /mfa/authenticators → [{id, type, active, ...}]; the mfa_token goes
  // in the Authorization header, as Auth0 takes it.
  mfaAuthenticators(mfaToken) {
    return this.#call('GET', '/mfa/authenticators', { bearer: mfaToken });
  }

  // POST /mfa/enroll for an authenticator app → {secret, barcode_uri,
  // recovery_codes?}. Show the URI (a QR code in a real app) and the secret.
  mfaEnrollOTP(mfaToken) {
    return this.#call('POST', '/mfa/enroll', { json: { mfa_token: mfaToken, type: 'otp' } });
  }

  // The code from the authenticator app. An OTP factor needs no
  // /mfa/challenge first; SMS and email factors do.
  async mfaVerifyOTP(mfaToken, otp) {
    this.#store(await this.#token({ grant_type: MFA_OTP_GRANT, mfa_token: mfaToken, otp }));
  }

  // A recovery code. The answer may carry a new `recovery_code`, which the
  // app must show: the one just used is gone. Returns it (or null).
  async mfaRecover(mfaToken, recoveryCode) {
    const t = await this.#token({ grant_type: MFA_RECOVERY_CODE_GRANT, mfa_token: mfaToken, recovery_code: recoveryCode });
    this.#store(t);
    return t.recovery_code ?? null;
  }

  // POST /password/reset → 202 {message}, the same whether or not the
  // address has an account.
  passwordReset(email) {
    return this.#call('POST', '/password/reset', { json: { email } });
  }

  me() {
    return this.authorized('GET', '/me');
  }

  // A call with the access token. Refreshes first when there is no access
  // token or it is about to expire; after a 401 (expired, or refused for any
  // other reason) refreshes once and retries once.
  async authorized(method, path, json) {
    if (this.#refresh !== null && !this.#accessValid(30_000)) await this.refresh();
    if (this.#access === null) throw new ApiError(0, 'not_signed_in', 'Sign in first.');
    const sent = this.#access;
    try {
      return await this.#call(method, path, { json, bearer: sent });
    } catch (e) {
      if (e.status !== 401 || this.#refresh === null) throw e;
      // Refresh unless another call already did since this one was sent;
      // refresh() joins the one in flight if there is one.
      if (this.#access === sent) await this.refresh();
      return this.#call(method, path, { json, bearer: this.#access });
    }
  }

  // Single flight: however many calls need a new access token at once, one
  // request goes out and all of them wait for it. Two refreshes with the
  // same rotating token would look like reuse to Auth0 and sign the user out.
  refresh() {
    this.#refreshing ??= this.#doRefresh().finally(() => { this.#refreshing = null; });
    return this.#refreshing;
  }

  async #doRefresh() {
    const token = this.#refresh;
    if (token === null) throw new ApiError(0, 'not_signed_in', 'Sign in first.');
    this.refreshes++;
    try {
      this.#store(await this.#token({ grant_type: 'refresh_token', refresh_token: token }));
    } catch (e) {
      // 401 session_expired: the refresh token is dead (expired, revoked by a
      // logout, or reused): the user signs in again. Anything else (no
      // answer, 5xx) may pass: keep the token and let the user try again.
      // Never retry a refresh by itself: if the first one reached Auth0, the
      // replay is reuse and revokes the family.
      if (e.status === 401) this.forget();
      throw e;
    }
  }

  // Sign out: revoke the refresh token, so nobody can use it again, and
  // forget both tokens. An access token cannot be revoked: whoever holds it
  // can use it until it expires, which is why its lifetime should be short.
  // Returns whether there was a refresh token to revoke.
  async signOut() {
    const token = this.#refresh;
    this.forget(); // signed out here whatever the API answers
    if (token === null) return false;
    await this.#call('POST', '/logout', { json: { refresh_token: token } });
    return true;
  }

  // Drop every token from memory and sessionStorage.
  forget() {
    this.#access = null;
    this.#accessExpiresAt = 0;
    this.#refresh = null;
    this.#saveRefresh();
  }

  // For the page's demo only: make the API refuse the access token, as it
  // does once the token has expired.
  invalidateAccessToken() {
    if (this.#access !== null) this.#access = 'expired-for-the-demo';
  }

  #accessValid(marginMs = 0) {
    return this.#access !== null && Date.now() + marginMs < this.#accessExpiresAt;
  }

  // Keep a token answer: `access_token` (`data` is the same token, kept for
  // older clients), and the refresh token when there is one. With rotation
  // every refresh returns a new one, which replaces the old.
  #store(t) {
    this.#access = t.access_token;
    this.#accessExpiresAt = Date.now() + t.expires_in * 1000;
    if (t.refresh_token) {
      this.#refresh = t.refresh_token;
      this.#saveRefresh();
    }
  }

  #saveRefresh() {
    if (this.#remember && this.#refresh !== null) sessionStorage.setItem(REFRESH_KEY, this.#refresh);
    else sessionStorage.removeItem(REFRESH_KEY);
  }

  #token(fields) {
    return this.#call('POST', '/token', { json: fields, grant: fields.grant_type });
  }

  async #call(method, path, { json, bearer, grant } = {}) {
    const headers = {};
    if (json !== undefined) headers['Content-Type'] = 'application/json';
    if (bearer !== undefined) headers.Authorization = `Bearer ${bearer}`;
    let res;
    try {
      // No `credentials: 'include'`: this API takes bearer tokens, not
      // cookies. Custom headers make the browser send a CORS preflight first.
      res = await fetch(this.#base + path, {
        method,
        headers,
        body: json === undefined ? undefined : JSON.stringify(json),
        cache: 'no-store',
      });
    } catch {
      this.#onCall?.({ method, path, grant, status: 0 });
      throw new ApiError(0, 'network_error',
        `No answer from ${this.#base}: is the API running, and does it allow this page's origin (${location.origin}) in CORS?`);
    }
    this.#onCall?.({ method, path, grant, status: res.status });
    let body = null;
    if (res.status !== 204) {
      try { body = await res.json(); } catch { body = null; }
    }
    if (!res.ok) {
      throw new ApiError(res.status, body?.code ?? '', body?.message ?? `HTTP ${res.status}`, body);
    }
    return body;
  }
}
