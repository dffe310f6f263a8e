// Package auth0test runs an Auth0-compatible Authentication API on
// 127.0.0.1, in the style of net/http/httptest: NewServer starts it on a free
// port, Close stops it.
//
// It answers POST /dbconnections/signup, POST /oauth/token (password-realm and
// password grants) and GET /.well-known/jwks.json with the statuses, bodies
// and headers the real service sends (see
// shared/reference/auth0-responses.md). Where that catalogue is silent the
// choice is marked "not catalogued" in a comment.
//
// Tests script the tenant with AddUser, BlockUser, RequireMFA, LeakPassword,
// SetClientSecret and RotateSigningKey, break the transport with Fault, and
// inspect what the client sent with Requests.
package auth0test
