// Package auth0 is a small client for the two Auth0 Authentication API calls
// this service needs: database signup and the Resource Owner Password
// (password-realm) token grant.
//
// It knows Auth0 and HTTP only: no Lambda, API Gateway or AWS types. Auth0's
// error answers become *Error values whose Kind says what happened in terms a
// caller can act on, while Code keeps Auth0's raw code for logs.
//
// Management is the small part of the Management API the account routes
// use (get and delete a user, the verification-email job), with a
// client-credentials token it caches.
package auth0
