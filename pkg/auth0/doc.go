// Package auth0 is a small client for the Auth0 Authentication API calls
// this service needs: database signup, the token grants (password-realm,
// refresh token, authorization code, and the MFA grants mfa-otp, mfa-oob
// and mfa-recovery-code), the MFA API (list, enroll, challenge factors),
// refresh-token revocation and the password-reset email.
//
// It knows Auth0 and HTTP only: no Lambda, API Gateway or AWS types. Auth0's
// error answers become *Error values whose Kind says what happened in terms a
// caller can act on, while Code keeps Auth0's raw code for logs. Only the
// password grant is retried (once); every other call spends what it sends
// or may send an email, so its failures go back to the caller.
//
// Management is the small part of the Management API the account routes
// use (get and delete a user, the verification-email job), with a
// client-credentials token it caches.
package auth0
