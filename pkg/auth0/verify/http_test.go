package verify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
	"github.com/auth0-sam-go/authapi/pkg/auth0/verify"
	"github.com/aws/aws-lambda-go/events"
)

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// protected serves next behind Middleware and records whether it ran.
func protected(t *testing.T, v *verify.Verifier) (*httptest.Server, *bool) {
	t.Helper()
	called := new(bool)
	srv := httptest.NewServer(verify.Middleware(v, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*called = true
		c, ok := verify.ClaimsFrom(r.Context())
		if !ok {
			t.Error("no claims in the context")
			return
		}
		io.WriteString(w, c.Subject)
	})))
	t.Cleanup(srv.Close)
	return srv, called
}

func get(t *testing.T, url, authorization string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(data)}
	json.Unmarshal(data, &a.body)
	return a
}

func wantUnauthorized(t *testing.T, a answer, challenge, message string) {
	t.Helper()
	if a.status != http.StatusUnauthorized || a.header.Get("Content-Type") != "application/json" {
		t.Fatalf("got %d %q %s", a.status, a.header.Get("Content-Type"), a.raw)
	}
	if got := a.header.Get("WWW-Authenticate"); got != challenge {
		t.Errorf("WWW-Authenticate = %q, want %q", got, challenge)
	}
	if a.body["error"] != "Unauthorized" || a.body["code"] != "invalid_token" || a.body["message"] != message {
		t.Errorf("body %s", a.raw)
	}
	if a.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", a.header.Get("Cache-Control"))
	}
}

func TestMiddlewarePassesAValidTokenOn(t *testing.T) {
	f := newFixture(t)
	srv, called := protected(t, f.v)
	token, sub := login(t, f.srv, "ada@example.com", "openid")
	for _, auth := range []string{"Bearer " + token, "bearer " + token, "BEARER   " + token + " "} {
		a := get(t, srv.URL, auth)
		if a.status != http.StatusOK || a.raw != sub || !*called {
			t.Fatalf("%.10q: got %d %q", auth, a.status, a.raw)
		}
	}
}

func TestMiddlewareWithoutBearerCredentials(t *testing.T) {
	f := newFixture(t)
	srv, called := protected(t, f.v)
	for _, auth := range []string{"", "Basic YWRhOnB3", "Token abc"} {
		// RFC 6750 3.1: no credentials, no error code in the challenge.
		wantUnauthorized(t, get(t, srv.URL, auth), "Bearer", "the request has no bearer token")
	}
	if *called {
		t.Fatal("the protected handler ran")
	}
}

func TestMiddlewareRefusesBadTokens(t *testing.T) {
	f := newFixture(t)
	srv, called := protected(t, f.v)
	c := f.claims()
	c["exp"] = time.Now().Unix() - 3600
	expired := f.srv.SignToken(nil, c)
	a := get(t, srv.URL, "Bearer "+expired)
	wantUnauthorized(t, a, `Bearer error="invalid_token", error_description="the token has expired"`, "the token has expired")
	s := segments(expired)
	for name, v := range a.header {
		if strings.Contains(strings.Join(v, " "), s[1]) {
			t.Errorf("header %s echoes the token", name)
		}
	}
	if strings.Contains(a.raw, s[1]) {
		t.Error("body echoes the token")
	}

	wantUnauthorized(t, get(t, srv.URL, "Bearer"), `Bearer error="invalid_token", error_description="the token is malformed"`, "the token is malformed")
	wantUnauthorized(t, get(t, srv.URL, "Bearer not.a.jwt"), `Bearer error="invalid_token", error_description="the token is malformed"`, "the token is malformed")
	none := f.srv.SignToken(map[string]any{"alg": "none"}, f.claims())
	wantUnauthorized(t, get(t, srv.URL, "Bearer "+none), `Bearer error="invalid_token", error_description="the token is not signed with RS256"`, "the token is not signed with RS256")
	if *called {
		t.Fatal("the protected handler ran")
	}
}

func TestMiddlewareAnswers503WhenKeysAreUnavailable(t *testing.T) {
	tenant := newTenant(t)
	tenant.Fault("/.well-known/jwks.json", auth0test.Fault{Status: http.StatusBadGateway})
	f := &fixture{srv: tenant, v: newVerifier(t, tenant)}
	srv, called := protected(t, f.v)
	a := get(t, srv.URL, "Bearer "+f.srv.SignToken(nil, f.claims()))
	// Not the token's fault: a 401 would make clients drop a good token.
	if a.status != http.StatusServiceUnavailable || a.body["code"] != "jwks_unavailable" || a.header.Get("Retry-After") != "30" || *called {
		t.Fatalf("got %d %v %s", a.status, a.header, a.raw)
	}
	if a.header.Get("WWW-Authenticate") != "" {
		t.Errorf("WWW-Authenticate %q on a 503", a.header.Get("WWW-Authenticate"))
	}
}

func TestLambdaVerifiesAndFillsTheAuthorizerContext(t *testing.T) {
	f := newFixture(t)
	token, sub := login(t, f.srv, "ada@example.com", "openid read:profile")
	var got events.APIGatewayV2HTTPRequest
	var fromCtx *verify.Claims
	h := verify.Lambda(f.v, func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		got = ev
		fromCtx, _ = verify.ClaimsFrom(ctx)
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: "ok"}, nil
	})
	ev := events.APIGatewayV2HTTPRequest{Version: "2.0", Headers: map[string]string{"authorization": "Bearer " + token}}
	resp, err := h(context.Background(), ev)
	if err != nil || resp.StatusCode != 200 || fromCtx == nil || fromCtx.Subject != sub {
		t.Fatalf("resp %+v err %v claims %+v", resp, err, fromCtx)
	}
	claims := got.RequestContext.Authorizer.JWT.Claims
	want := map[string]string{
		"sub":   sub,
		"iss":   f.srv.Issuer(),
		"scope": "openid read:profile",
		"aud":   "[" + f.srv.Config().Audience + " " + f.srv.Issuer() + "userinfo]",
		"exp":   strconv.FormatInt(fromCtx.ExpiresAt.Unix(), 10),
	}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("claims[%s] = %q, want %q", k, claims[k], v)
		}
	}
	if strings.ContainsAny(claims["exp"], ".eE") {
		t.Errorf("exp %q is not a plain decimal", claims["exp"])
	}
}

func TestLambdaRefusals(t *testing.T) {
	f := newFixture(t)
	called := false
	h := verify.Lambda(f.v, func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		called = true
		return events.APIGatewayV2HTTPResponse{StatusCode: 200}, nil
	})
	call := func(headers map[string]string) events.APIGatewayV2HTTPResponse {
		resp, err := h(context.Background(), events.APIGatewayV2HTTPRequest{Headers: headers})
		if err != nil {
			t.Fatalf("a refusal must be an answer, not an error: %v", err)
		}
		return resp
	}
	resp := call(nil)
	if resp.StatusCode != 401 || resp.Headers["WWW-Authenticate"] != "Bearer" || !strings.Contains(resp.Body, `"code":"invalid_token"`) {
		t.Fatalf("no header: %+v", resp)
	}
	c := f.claims()
	c["aud"] = "https://other.example.com"
	resp = call(map[string]string{"Authorization": "Bearer " + f.srv.SignToken(nil, c)})
	if resp.StatusCode != 401 || resp.Headers["WWW-Authenticate"] != `Bearer error="invalid_token", error_description="the token is not meant for this API"` {
		t.Fatalf("wrong audience: %+v", resp)
	}
	if called {
		t.Fatal("next ran for a refused token")
	}
}

func TestGatewayClaimsRendersLikeAPIGateway(t *testing.T) {
	c := &verify.Claims{Raw: map[string]any{
		"sub":         "auth0|abc",
		"exp":         float64(1773220500),
		"iat":         json.Number("1773134100"),
		"ratio":       1.5,
		"admin":       true,
		"aud":         []any{"https://api", "https://t/userinfo"},
		"permissions": []any{},
		"org":         map[string]any{"id": "o1"},
		"gone":        nil,
	}}
	got := verify.GatewayClaims(c)
	want := map[string]string{
		"sub": "auth0|abc", "exp": "1773220500", "iat": "1773134100", "ratio": "1.5", "admin": "true",
		"aud": "[https://api https://t/userinfo]", "permissions": "[]", "org": `{"id":"o1"}`,
	}
	if len(got) != len(want) {
		t.Errorf("got %d claims %v, want %d", len(got), got, len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}
