// Package auth0test runs an Auth0-compatible tenant on 127.0.0.1, in the
// style of net/http/httptest: NewServer starts it on a free port, Close
// stops it.
//
// It answers, with the statuses, bodies and headers the real service sends
// (shared/reference/auth0-responses.md and auth0-lifecycle.md; where they
// are silent the choice is marked "not catalogued" in a comment):
//
//   - POST /dbconnections/signup and /dbconnections/change_password;
//   - POST /oauth/token with the password-realm, password, refresh_token
//     (rotation and reuse detection), authorization_code (PKCE S256),
//     client_credentials and MFA (mfa-otp, mfa-oob, mfa-recovery-code)
//     grants, form or JSON bodies;
//   - POST /oauth/revoke;
//   - GET /mfa/authenticators, POST /mfa/associate, POST /mfa/challenge,
//     with real TOTP (see TOTP) so an authenticator app scanning the
//     barcode_uri works;
//   - the Management API's GET and DELETE /api/v2/users/{id} and POST
//     /api/v2/jobs/verification-email, for M2M tokens with scopes;
//   - GET /.well-known/jwks.json, for RS256 tokens.
//
// Tests script the tenant through Config and methods: AddUser, DeleteUser,
// BlockUser, SetMFA, EnrollOTP, EnrollOOB, ApproveOOB, LeakPassword,
// SetClientSecret, RotateSigningKey, IssueCode (for Universal Login),
// ResetPassword and VerifyEmail (for the links in emails). They read what
// the tenant sent with Messages (emails and SMS: reset links, MFA codes),
// break the transport with Fault, and inspect what the client sent with
// Requests, credentials redacted. Config.Clock makes expiries testable
// without waiting. Everything the server keeps per request is bounded.
package auth0test
