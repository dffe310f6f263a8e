package api

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/auth0-sam-go/authapi/pkg/auth0"
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

// errUserTokenRequired refuses a machine token on a user route: the
// client-credentials grant gives an application tokens for this API's
// audience, which the authorizer accepts like a user's.
var errUserTokenRequired = &RequestError{Status: http.StatusForbidden, Code: "user_token_required",
	Message: "This route needs a user's access token; an application's token (client credentials) is not accepted."}

// NewMeHandler serves GET /me from the claims the API Gateway JWT
// authorizer has already verified; it never sees or checks the token
// itself. Without those claims (a route deployed without the authorizer)
// it refuses rather than trusting the request, and so it does for a
// machine token (403 user_token_required).
func NewMeHandler(logger *slog.Logger) Handler {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return logged(ctx, logger, "GET /me", func(l *requestLog) (events.APIGatewayV2HTTPResponse, string) {
			body, ok := meFromClaims(&ev)
			if !ok {
				return refuseClaims(l, errNoClaims)
			}
			if isMachine(ev.RequestContext.Authorizer.JWT.Claims) {
				return refuseClaims(l, errUserTokenRequired)
			}
			return jsonResponse(http.StatusOK, body), ""
		}), nil
	}
}

// refuseClaims answers a request whose authorizer claims will not do:
// none at all is 401 with a Bearer challenge; a machine token is 403.
func refuseClaims(l *requestLog, err error) (events.APIGatewayV2HTTPResponse, string) {
	l.failure = err
	if errors.Is(err, errNoClaims) {
		resp := errorResponse(invalidToken)
		resp.Headers["WWW-Authenticate"] = `Bearer error="invalid_token"`
		return resp, invalidToken.Code
	}
	return failure(err)
}

// isMachine applies auth0.IsMachineToken to the claims as API Gateway
// renders them: an array claim such as gty arrives as "[a b]".
func isMachine(claims map[string]string) bool {
	gty := claims["gty"]
	if inner, ok := strings.CutPrefix(gty, "["); ok {
		gty = strings.TrimSuffix(inner, "]")
	}
	return auth0.IsMachineToken(claims["sub"], strings.Fields(gty)...)
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
