package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/auth0-sam-go/authapi/internal/api"
	"github.com/auth0-sam-go/authapi/pkg/auth0"
	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
	"github.com/auth0-sam-go/authapi/pkg/auth0/verify"
	"github.com/aws/aws-lambda-go/events"
)

// devAPI is the three routes as make dev serves them, against the emulator.
func devAPI(t *testing.T) (*httptest.Server, *auth0test.Server) {
	t.Helper()
	tenant := auth0test.NewServer(auth0test.Config{})
	t.Cleanup(tenant.Close)
	c := tenant.Config()
	cfg := auth0.Config{BaseURL: tenant.URL, ClientID: c.ClientID, Audience: c.Audience,
		Connection: c.Connection, Scope: auth0.DefaultScope}
	client := auth0.NewClient(cfg, nil)
	logger := api.NewLogger(io.Discard)
	v, err := verify.New(cfg.BaseURL, cfg.Audience)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newHandler(client, staticSecret(c.ClientSecret), v, logger, DefaultCorsOrigins)) // 127.0.0.1
	t.Cleanup(srv.Close)
	return srv, tenant
}

func call(t *testing.T, method, url, authorization, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	data, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s %s: body %q is not JSON", method, url, data)
	}
	return resp, m
}

func payload(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	data, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSignupTokenThenMe(t *testing.T) {
	srv, _ := devAPI(t)
	creds := `{"email":"jane@example.com","password":"Correct-Horse-42"}`
	resp, signup := call(t, "POST", srv.URL+"/signup", "", creds)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("signup %d %v", resp.StatusCode, signup)
	}
	resp, tok := call(t, "POST", srv.URL+"/token", "", creds)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token %d %v", resp.StatusCode, tok)
	}
	token := tok["data"].(string)
	claims := payload(t, token)

	resp, me := call(t, "GET", srv.URL+"/me", "Bearer "+token, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("me %d %v", resp.StatusCode, me)
	}
	if me["user_id"] != claims["sub"] || me["user_id"] != signup["user_id"] || me["expires_at"] != claims["exp"] {
		t.Fatalf("me %v; token sub %v exp %v; signed up %v", me, claims["sub"], claims["exp"], signup["user_id"])
	}
	if scope, _ := me["scope"].([]any); len(scope) != 1 || scope[0] != "openid" {
		t.Fatalf("scope %v", me["scope"])
	}
}

func TestMeRefusesRequestsWithoutAValidToken(t *testing.T) {
	srv, tenant := devAPI(t)
	resp, body := call(t, "GET", srv.URL+"/me", "", "")
	if resp.StatusCode != http.StatusUnauthorized || body["message"] != "Unauthorized" ||
		resp.Header.Get("WWW-Authenticate") != `Bearer scope="" error="invalid_token" error_description="the request has no bearer token"` {
		t.Fatalf("no token: %d %q %v", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
	}
	forged := tenant.SignToken(map[string]any{"alg": "none"}, map[string]any{
		"iss": tenant.Issuer(), "sub": "auth0|x", "aud": tenant.Config().Audience, "exp": 4102444800})
	resp, body = call(t, "GET", srv.URL+"/me", "Bearer "+forged, "")
	if resp.StatusCode != http.StatusUnauthorized || body["message"] != "Unauthorized" || len(body) != 1 ||
		resp.Header.Get("WWW-Authenticate") != `Bearer scope="" error="invalid_token" error_description="the token is not signed with RS256"` {
		t.Fatalf("alg none: %d %q %v", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
	}
	// Like API Gateway, an unknown route is 404 before any authorizer runs.
	resp, body = call(t, "POST", srv.URL+"/me", "", "")
	if resp.StatusCode != http.StatusNotFound || body["message"] != "Not Found" {
		t.Fatalf("POST /me: %d %v", resp.StatusCode, body)
	}
}

func TestMeRouteFillsClaimsAsAPIGatewayDoes(t *testing.T) {
	tenant := auth0test.NewServer(auth0test.Config{})
	defer tenant.Close()
	v, err := verify.New(tenant.URL, tenant.Config().Audience)
	if err != nil {
		t.Fatal(err)
	}
	var got events.APIGatewayV2HTTPRequest
	srv := httptest.NewServer(meRoute(v, func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		got = ev
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: `{}`}, nil
	}))
	defer srv.Close()
	token := tenant.SignToken(nil, map[string]any{"iss": tenant.Issuer(), "sub": "auth0|abc", "exp": 4102444800,
		"aud": []string{tenant.Config().Audience, tenant.Issuer() + "userinfo"}, "scope": "openid profile"})
	if resp, _ := call(t, "GET", srv.URL+"/me", "Bearer "+token, ""); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	claims := got.RequestContext.Authorizer.JWT.Claims
	want := map[string]string{"sub": "auth0|abc", "exp": "4102444800", "scope": "openid profile",
		"aud": "[" + tenant.Config().Audience + " " + tenant.Issuer() + "userinfo]"}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("claims[%s] = %q, want %q", k, claims[k], v)
		}
	}
	if got.RouteKey != "GET /me" || got.RequestContext.HTTP.Method != "GET" {
		t.Errorf("route %q method %q", got.RouteKey, got.RequestContext.HTTP.Method)
	}
}
