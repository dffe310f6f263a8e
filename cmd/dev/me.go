package main

import (
	"context"
	"errors"
	"net/http"

	"github.com/auth0-sam-go/authapi/internal/api"
	"github.com/auth0-sam-go/authapi/pkg/auth0/verify"
	"github.com/aws/aws-lambda-go/events"
)

// meRoute serves GET /me the way the deployed API does. No API Gateway
// authorizer runs locally, so jwtAuthorizer checks the bearer token first.
func meRoute(v *verify.Verifier, h api.Handler) http.Handler {
	get := protected(v, "GET /me", h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// API Gateway matches the route before it runs the authorizer: any
		// other method is an unknown route, whatever the token (DELETE /me
		// is its own route, registered beside this one).
		if r.Method != http.MethodGet {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"message":"Not Found"}`))
			return
		}
		get.ServeHTTP(w, r)
	})
}

// protected serves one route behind the emulated JWT authorizer; the
// handler gets the event with RequestContext.Authorizer.JWT.Claims filled
// as API Gateway fills them.
func protected(v *verify.Verifier, routeKey string, h api.Handler) http.Handler {
	return jwtAuthorizer(v, route(routeKey, func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		// route derives ctx from the request's, which carries the claims.
		if c, ok := verify.ClaimsFrom(ctx); ok {
			ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: verify.GatewayClaims(c)},
			}
		}
		return h(ctx, ev)
	}))
}

// noTokenDescription is said of a request without bearer credentials. Not
// catalogued: API Gateway's text for a missing identity source.
const noTokenDescription = "the request has no bearer token"

// jwtAuthorizer refuses a request as the HTTP API's JWT authorizer does, so
// client code written against make dev works deployed: 401, the body
// {"message":"Unauthorized"} and the reason in www-authenticate (as in
// AWS's "Troubleshooting issues with HTTP API JWT authorizers"). A valid
// token's claims go on in the request context.
func jwtAuthorizer(v *verify.Verifier, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := verify.BearerToken(r.Header.Get("Authorization"))
		if !ok || token == "" {
			unauthorized(w, noTokenDescription)
			return
		}
		c, err := v.Verify(r.Context(), token)
		if err != nil {
			desc := "the token is invalid"
			var e *verify.Error
			if errors.As(err, &e) && e.Description != "" {
				desc = e.Description // fixed texts: no token content
			}
			unauthorized(w, desc)
			return
		}
		next.ServeHTTP(w, r.WithContext(verify.WithClaims(r.Context(), c)))
	})
}

func unauthorized(w http.ResponseWriter, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Www-Authenticate", `Bearer scope="" error="invalid_token" error_description="`+description+`"`)
	w.WriteHeader(http.StatusUnauthorized)
	w.Write([]byte(`{"message":"Unauthorized"}`))
}
