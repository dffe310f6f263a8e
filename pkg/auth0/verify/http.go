package verify

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

type ctxKey struct{}

// WithClaims returns ctx carrying c.
func WithClaims(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// ClaimsFrom returns the claims Middleware or Lambda verified for this
// request.
func ClaimsFrom(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(ctxKey{}).(*Claims)
	return c, ok && c != nil
}

// BearerToken extracts the token of an "Authorization: Bearer <token>"
// value. ok is false when the header holds no Bearer credentials at all
// (absent, or another scheme); a Bearer header with nothing after it gives
// ok true and an empty token, which Verify refuses as malformed.
func BearerToken(authorization string) (token string, ok bool) {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(authorization), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

// Middleware answers 401 unless the request carries a valid bearer token,
// and otherwise calls next with the claims in the request context.
func Middleware(v *Verifier, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := v.check(r.Context(), r.Header.Get("Authorization"))
		if err != nil {
			status, headers, body := v.refusal(err)
			for k, val := range headers {
				w.Header().Set(k, val)
			}
			w.WriteHeader(status)
			w.Write(body)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithClaims(r.Context(), c)))
	})
}

// errNoToken marks a request without Bearer credentials: RFC 6750 3.1 says
// its challenge carries no error code.
var errNoToken = errors.New("verify: no bearer token")

func (v *Verifier) check(ctx context.Context, authorization string) (*Claims, error) {
	token, ok := BearerToken(authorization)
	if !ok {
		return nil, errNoToken
	}
	return v.Verify(ctx, token)
}

// errorBody is the JSON of a refusal, shaped like the API's other errors.
type errorBody struct {
	Error   string `json:"error"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// refusal is the HTTP answer to a request whose token err refused: 401
// with a Bearer challenge (RFC 6750), or 503 when the signing keys could
// not be fetched, since that is no fault of the token and a retry helps.
func (v *Verifier) refusal(err error) (int, map[string]string, []byte) {
	headers := map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"}
	var e *Error
	switch {
	case errors.Is(err, errNoToken):
		headers["WWW-Authenticate"] = "Bearer"
		return http.StatusUnauthorized, headers, noTokenBody
	case errors.As(err, &e) && e.Reason == ReasonJWKSUnavailable:
		// No fetch is attempted sooner than the refresh interval.
		headers["Retry-After"] = strconv.Itoa(max(1, int(v.interval.Seconds()+0.5)))
		return http.StatusServiceUnavailable, headers, unavailableBody
	case errors.As(err, &e):
		headers["WWW-Authenticate"] = `Bearer error="invalid_token", error_description="` + e.Description + `"`
		return http.StatusUnauthorized, headers, invalidBodies[e.Reason]
	}
	headers["WWW-Authenticate"] = `Bearer error="invalid_token"`
	return http.StatusUnauthorized, headers, invalidBodies[ReasonMalformed]
}

func mustJSON(b errorBody) []byte {
	data, err := json.Marshal(b)
	if err != nil {
		panic(err)
	}
	return data
}

// Bodies are fixed per reason, built once: refusing a flood of bad tokens
// marshals nothing.
var (
	noTokenBody = mustJSON(errorBody{Error: "Unauthorized", Code: "invalid_token",
		Message: "the request has no bearer token"})
	unavailableBody = mustJSON(errorBody{Error: "Service Unavailable", Code: "jwks_unavailable",
		Message: "the token cannot be checked right now; try again shortly"})
	invalidBodies = func() map[string][]byte {
		m := make(map[string][]byte, len(descriptions))
		for r, d := range descriptions {
			m[r] = mustJSON(errorBody{Error: "Unauthorized", Code: "invalid_token", Message: d})
		}
		return m
	}()
)
