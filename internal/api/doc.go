// Package api is the public contract of the service: it turns API Gateway
// HTTP API (payload 2.0) events into requests, calls Auth0 through
// pkg/auth0, and turns the outcome into JSON responses.
//
// One body decoder (decodeBody: JSON or form, strict), one error table
// (errors.go) and one log line per request (log.go) serve every route.
package api
