package api

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// MeBody describes the caller's access token.
type MeBody struct {
	UserID string   `json:"user_id"`
	Scope  []string `json:"scope"`
	// ExpiresAt is the token's exp, in Unix seconds.
	ExpiresAt int64 `json:"expires_at"`
}

var invalidToken = Outcome{Status: http.StatusUnauthorized, Code: "invalid_token",
	Message: "The request has no valid access token."}

var errNoClaims = errors.New("no JWT authorizer claims in the event")

// NewMeHandler serves GET /me from the claims the API Gateway JWT
// authorizer has already verified; it never sees or checks the token
// itself. Without those claims (a route deployed without the authorizer)
// it refuses rather than trusting the request.
func NewMeHandler(logger *slog.Logger) Handler {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return logged(ctx, logger, "GET /me", func(l *requestLog) (events.APIGatewayV2HTTPResponse, string) {
			body, ok := meFromClaims(&ev)
			if !ok {
				l.failure = errNoClaims
				resp := errorResponse(invalidToken)
				resp.Headers["WWW-Authenticate"] = `Bearer error="invalid_token"`
				return resp, invalidToken.Code
			}
			return jsonResponse(http.StatusOK, body), ""
		}), nil
	}
}

// meFromClaims reads the authorizer's claims. API Gateway hands every claim
// over as a string: "scope" space-separated, "exp" a decimal number.
func meFromClaims(ev *events.APIGatewayV2HTTPRequest) (MeBody, bool) {
	a := ev.RequestContext.Authorizer
	if a == nil || a.JWT == nil {
		return MeBody{}, false
	}
	claims := a.JWT.Claims
	sub := claims["sub"]
	exp, ok := epoch(claims["exp"])
	if sub == "" || !ok {
		return MeBody{}, false
	}
	// Never null in JSON: the contract says an array.
	scope := strings.Fields(claims["scope"])
	if scope == nil {
		scope = []string{}
	}
	return MeBody{UserID: sub, Scope: scope, ExpiresAt: exp}, true
}

// epoch reads a NumericDate claim as API Gateway renders it: a decimal
// integer, or, should a token carry a fractional exp, a float.
func epoch(s string) (int64, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, n > 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 || f > math.MaxInt64 {
		return 0, false
	}
	return int64(f), true
}
