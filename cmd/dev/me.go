package main

import (
	"context"
	"net/http"

	"github.com/auth0-sam-go/authapi/internal/api"
	"github.com/auth0-sam-go/authapi/pkg/auth0/verify"
	"github.com/aws/aws-lambda-go/events"
)

// meRoute serves GET /me the way the deployed API does. No API Gateway
// authorizer runs locally, so v checks the bearer token first (a refusal
// is 401 with a Bearer challenge); the handler then gets the event with
// RequestContext.Authorizer.JWT.Claims filled as API Gateway fills them.
func meRoute(v *verify.Verifier, h api.Handler) http.Handler {
	inner := route("GET /me", func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		// route derives ctx from the request's, which carries the claims.
		if c, ok := verify.ClaimsFrom(ctx); ok {
			ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: verify.GatewayClaims(c)},
			}
		}
		return h(ctx, ev)
	})
	protected := verify.Middleware(v, inner)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// API Gateway matches the route before it runs the authorizer: any
		// other method is an unknown route, whatever the token.
		if r.Method != http.MethodGet {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"message":"Not Found"}`))
			return
		}
		protected.ServeHTTP(w, r)
	})
}
