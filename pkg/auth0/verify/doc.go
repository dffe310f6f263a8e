// Package verify checks Auth0 access tokens (RS256 JWTs) for APIs that are
// not behind the API Gateway JWT authorizer: local servers, Lambda function
// URLs, containers.
//
// A Verifier is built once per process with the tenant's issuer and the API's
// audience. It fetches the tenant's JWKS when built, keeps the RSA keys by
// kid, fetches them again in the background (hourly by default, until the
// context given with WithContext is done) and when a token names an unknown
// kid, at most once per refresh interval, so forged kids cannot turn every
// request into a call to Auth0. github.com/MicahParks/jwkset and keyfunc do
// the fetching and caching.
//
// Only RS256 is accepted. Every rejection is an *Error whose Reason is one of
// the Reason* constants; its Description is safe to return to a client and
// never contains any part of the token.
//
// Middleware (net/http) and Lambda (API Gateway payload 2.0) put the verified
// Claims in the request context; ClaimsFrom reads them back.
//
// It is a package of its own so that binaries which only issue tokens never
// link the JWT and JWKS libraries.
package verify
