package api

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/pkg/auth0"
	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
	"github.com/aws/aws-lambda-go/events"
)

// sessionAPI is the API against a tenant, asking for offline_access as
// make dev does, with one user signed up.
func sessionAPI(t *testing.T, cfg auth0test.Config) *testAPI {
	t.Helper()
	srv := auth0test.NewServer(cfg)
	t.Cleanup(srv.Close)
	c := srv.Config()
	a := newTestAPIFor(t, srv, auth0.Config{BaseURL: srv.URL, ClientID: c.ClientID, Audience: c.Audience,
		Connection: c.Connection, Scope: "openid offline_access"})
	srv.AddUser(email, goodPassword)
	return a
}

// formEvent is a form post of the name/value pairs.
func formEvent(kv ...string) events.APIGatewayV2HTTPRequest {
	f := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Add(kv[i], kv[i+1])
	}
	return event("POST", "application/x-www-form-urlencoded", f.Encode())
}

// jsonOf is a JSON post of the name/value pairs.
func jsonOf(kv ...string) events.APIGatewayV2HTTPRequest {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	b, _ := json.Marshal(m)
	return jsonEvent(string(b))
}

// login signs the user in and returns the refresh token.
func (a *testAPI) login() string {
	a.t.Helper()
	resp, body := a.call(a.token, creds(email, goodPassword))
	rt, _ := body["refresh_token"].(string)
	if resp.StatusCode != 200 || rt == "" {
		a.t.Fatalf("login: %d %v", resp.StatusCode, body)
	}
	return rt
}

// wantTokens checks a 200 token answer and returns its refresh token.
func wantTokens(t *testing.T, resp events.APIGatewayV2HTTPResponse, body map[string]any) string {
	t.Helper()
	if resp.StatusCode != 200 || body["token_type"] != "Bearer" || body["access_token"] == nil ||
		body["access_token"] != body["data"] || body["expires_in"] == nil {
		t.Fatalf("got %d %v", resp.StatusCode, body)
	}
	if _, ok := body["id_token"]; ok {
		t.Fatal("the id_token must never be passed on")
	}
	if resp.Headers["Cache-Control"] != "no-store" {
		t.Fatalf("Cache-Control = %q", resp.Headers["Cache-Control"])
	}
	rt, _ := body["refresh_token"].(string)
	return rt
}

// tokenRequests counts the requests that reached Auth0's /oauth/token.
func (a *testAPI) tokenRequests(path string) int {
	n := 0
	for _, r := range a.srv.Requests() {
		if r.Path == path {
			n++
		}
	}
	return n
}

func TestPasswordGrantAsFormAndWithUsername(t *testing.T) {
	a := sessionAPI(t, auth0test.Config{})
	for name, ev := range map[string]events.APIGatewayV2HTTPRequest{
		"form, grant_type=password, username": formEvent("grant_type", "password", "username", email, "password", goodPassword),
		"form, no grant_type, email":          formEvent("email", email, "password", goodPassword),
		"json, grant_type=password, username": jsonOf("grant_type", "password", "username", email, "password", goodPassword),
		"form with charset":                   withContentType(formEvent("username", email, "password", goodPassword), "application/x-www-form-urlencoded; charset=UTF-8"),
	} {
		t.Run(name, func(t *testing.T) {
			a.t = t
			resp, body := a.call(a.token, ev)
			if rt := wantTokens(t, resp, body); rt == "" || body["scope"] != "openid offline_access" {
				t.Fatalf("no refresh_token or scope: %v", body)
			}
		})
	}
}

func withContentType(ev events.APIGatewayV2HTTPRequest, ct string) events.APIGatewayV2HTTPRequest {
	ev.Headers["content-type"] = ct
	return ev
}

// badTokenRequests are /token requests refused before Auth0 is called.
func badTokenRequests() []badRequest {
	inv := "invalid_request"
	verifier := strings.Repeat("v", 43)
	return []badRequest{
		{"email and username", jsonOf("email", email, "username", email, "password", goodPassword), 400, inv},
		{"username invalid", formEvent("username", "not-an-email", "password", goodPassword), 400, inv},
		{"no email", formEvent("password", goodPassword), 400, inv},
		{"no password", formEvent("username", email), 400, inv},
		{"duplicate form field", event("POST", "application/x-www-form-urlencoded", "username=a%40example.com&password=x&password=y"), 400, inv},
		{"form value not UTF-8", event("POST", "application/x-www-form-urlencoded", "username=%ff%40example.com&password=x"), 400, inv},
		{"invalid form", event("POST", "application/x-www-form-urlencoded", "username=%zz"), 400, inv},
		{"multipart", event("POST", "multipart/form-data; boundary=x", "--x--"), 415, "unsupported_media_type"},
		{"client_credentials", formEvent("grant_type", "client_credentials"), 400, "unsupported_grant_type"},
		{"unknown grant", jsonOf("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), 400, "unsupported_grant_type"},
		{"empty grant", formEvent("grant_type", "", "username", email, "password", goodPassword), 400, "unsupported_grant_type"},
		{"grant case", formEvent("grant_type", "Password", "username", email, "password", goodPassword), 400, "unsupported_grant_type"},
		{"grant twice", event("POST", "application/x-www-form-urlencoded", "grant_type=password&grant_type=refresh_token"), 400, inv},
		{"refresh without token", formEvent("grant_type", "refresh_token"), 400, inv},
		{"refresh empty", formEvent("grant_type", "refresh_token", "refresh_token", ""), 400, inv},
		{"refresh NUL", jsonOf("grant_type", "refresh_token", "refresh_token", "v1.a\x00b"), 400, inv},
		{"refresh with a space", formEvent("grant_type", "refresh_token", "refresh_token", "v1.a b"), 400, inv},
		{"code not ASCII", formEvent("grant_type", "authorization_code", "code", "cödé", "redirect_uri", "https://app.example.com/cb"), 400, inv},
		{"refresh too long", formEvent("grant_type", "refresh_token", "refresh_token", strings.Repeat("r", MaxTokenBytes+1)), 400, inv},
		{"code without code", formEvent("grant_type", "authorization_code", "redirect_uri", "https://app.example/cb"), 400, inv},
		{"code without redirect_uri", formEvent("grant_type", "authorization_code", "code", "abc123"), 400, inv},
		{"code relative redirect_uri", formEvent("grant_type", "authorization_code", "code", "abc123", "redirect_uri", "/cb"), 400, inv},
		{"code redirect_uri with fragment", formEvent("grant_type", "authorization_code", "code", "abc123", "redirect_uri", "https://app.example/cb#x"), 400, inv},
		{"verifier too short", formEvent("grant_type", "authorization_code", "code", "abc123", "redirect_uri", "https://app.example/cb", "code_verifier", verifier[1:]), 400, inv},
		{"verifier bad characters", formEvent("grant_type", "authorization_code", "code", "abc123", "redirect_uri", "https://app.example/cb", "code_verifier", verifier+"+/="), 400, inv},
		{"verifier too long", formEvent("grant_type", "authorization_code", "code", "abc123", "redirect_uri", "https://app.example/cb", "code_verifier", strings.Repeat("v", 129)), 400, inv},
	}
}

func TestBadTokenRequestsNeverReachAuth0(t *testing.T) {
	a := sessionAPI(t, auth0test.Config{})
	for _, c := range badTokenRequests() {
		t.Run(c.name, func(t *testing.T) {
			a.t = t
			resp, body := a.call(a.token, c.ev)
			wantError(t, resp, body, c.status, c.code)
		})
	}
	// Each message names the field that is wrong, as the caller spelled it.
	for ev, want := range map[*events.APIGatewayV2HTTPRequest]string{
		ptr(formEvent("username", "not-an-email", "password", goodPassword)):     "username: ",
		ptr(formEvent("username", email)):                                        "password: required",
		ptr(formEvent("username", email, "password", strings.Repeat("p", 1025))): "password: ",
		ptr(jsonOf("username", email, "password", "a\x00b")):                     "password: ",
	} {
		_, body := a.call(a.token, *ev)
		if msg, _ := body["message"].(string); !strings.HasPrefix(msg, want) {
			t.Errorf("message %q, want prefix %q", msg, want)
		}
	}
	if n := len(a.srv.Requests()); n != 0 {
		t.Fatalf("bad input reached Auth0 %d times", n)
	}
}

func TestRefreshRotatesAndReuseEndsTheSession(t *testing.T) {
	a := sessionAPI(t, auth0test.Config{})
	first := a.login()

	resp, body := a.call(a.token, formEvent("grant_type", "refresh_token", "refresh_token", first))
	second := wantTokens(t, resp, body)
	if second == "" || second == first {
		t.Fatalf("refresh gave refresh_token %q, want a new one", second)
	}
	if claims := jwtClaims(t, body["access_token"].(string)); claims["sub"] == nil {
		t.Fatalf("claims %v", claims)
	}

	// Reuse of the rotated token: Auth0 revokes the whole family.
	resp, body = a.call(a.token, jsonOf("grant_type", "refresh_token", "refresh_token", first))
	wantError(t, resp, body, 401, "session_expired")
	resp, body = a.call(a.token, jsonOf("grant_type", "refresh_token", "refresh_token", second))
	wantError(t, resp, body, 401, "session_expired")
	if n := a.srv.RefreshTokens(email); n != 0 {
		t.Fatalf("%d refresh-token families left, want 0 (revoked)", n)
	}
	if !strings.Contains(a.logs.String(), `"grant":"refresh_token"`) {
		t.Errorf("the log does not name the grant:\n%s", a.logs)
	}
}

func TestRefreshWithoutRotationKeepsTheToken(t *testing.T) {
	a := sessionAPI(t, auth0test.Config{NonRotatingRefreshTokens: true})
	rt := a.login()
	for range 2 {
		resp, body := a.call(a.token, formEvent("grant_type", "refresh_token", "refresh_token", rt))
		if next := wantTokens(t, resp, body); next != "" {
			t.Fatalf("a non-rotating tenant gave a new refresh_token")
		}
	}
}

func TestRefreshFailures(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(*auth0test.Server)
		token  string // "" = a live one
		status int
		code   string
	}{
		{"unknown token", nil, "v1.never-issued-token", 401, "session_expired"},
		{"deleted user", func(s *auth0test.Server) { s.DeleteUser(email) }, "", 401, "session_expired"},
		{"older tenants' access_denied", func(s *auth0test.Server) {
			s.Fault("/oauth/token", auth0test.Fault{Status: 403, Body: `{"error":"access_denied","error_description":"Unknown or invalid refresh token"}`})
		}, "", 401, "session_expired"},
		{"blocked user", func(s *auth0test.Server) { s.BlockUser(email) }, "", 403, "access_denied"},
		{"refresh grant not enabled", func(s *auth0test.Server) {
			s.Fault("/oauth/token", auth0test.Fault{Status: 403, Body: `{"error":"unauthorized_client","error_description":"Grant type 'refresh_token' not allowed for the client."}`})
		}, "", 500, "server_misconfigured"},
		{"rate limit", func(s *auth0test.Server) {
			s.Fault("/oauth/token", auth0test.Fault{Status: 429, Body: `{"error":"too_many_requests","error_description":"Too many requests."}`})
		}, "", 429, "rate_limited"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := sessionAPI(t, auth0test.Config{})
			rt := a.login()
			if c.token != "" {
				rt = c.token
			}
			if c.setup != nil {
				c.setup(a.srv)
			}
			resp, body := a.call(a.token, formEvent("grant_type", "refresh_token", "refresh_token", rt))
			wantError(t, resp, body, c.status, c.code)
			if c.code == "server_misconfigured" && !strings.Contains(a.logs.String(), "Refresh Token grant") {
				t.Errorf("the log does not say which grant to enable:\n%s", a.logs)
			}
		})
	}
}

// A refresh that may have reached Auth0 is never sent again: with rotation,
// a replay would revoke the family and sign the user out.
func TestRefreshIsNotRetried(t *testing.T) {
	cases := []struct {
		name   string
		fault  auth0test.Fault
		status int
		code   string
	}{
		{"503", auth0test.Fault{Status: 503, Body: "Service Unavailable"}, 502, "upstream_error"},
		{"500 json", auth0test.Fault{Status: 500, Body: `{"error":"server_error","error_description":"oops"}`}, 502, "upstream_error"},
		{"dropped connection", auth0test.Fault{Drop: true}, 502, "upstream_error"},
		{"unreadable answer", auth0test.Fault{Status: 200, Body: `{"access_`}, 502, "upstream_error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := sessionAPI(t, auth0test.Config{})
			rt := a.login()
			before := a.tokenRequests("/oauth/token")
			a.srv.Fault("/oauth/token", c.fault)
			resp, body := a.call(a.token, formEvent("grant_type", "refresh_token", "refresh_token", rt))
			wantError(t, resp, body, c.status, c.code)
			if n := a.tokenRequests("/oauth/token") - before; n != 1 {
				t.Fatalf("the refresh reached Auth0 %d times, want exactly 1", n)
			}
		})
	}
}

func TestRefreshTimeoutIsNotRetried(t *testing.T) {
	a := sessionAPI(t, auth0test.Config{})
	rt := a.login()
	before := a.tokenRequests("/oauth/token")
	a.srv.Fault("/oauth/token", auth0test.Fault{Hang: true})
	resp, body := a.callWithin(a.token, formEvent("grant_type", "refresh_token", "refresh_token", rt), 2*time.Second)
	wantError(t, resp, body, 504, "upstream_timeout")
	if n := a.tokenRequests("/oauth/token") - before; n != 1 {
		t.Fatalf("the refresh reached Auth0 %d times, want exactly 1", n)
	}
}

// The password grant keeps its one retry.
func TestPasswordGrantIsRetriedOnce(t *testing.T) {
	a := sessionAPI(t, auth0test.Config{})
	a.srv.Fault("/oauth/token", auth0test.Fault{Status: 503, Body: "Service Unavailable", Times: 1})
	resp, body := a.call(a.token, formEvent("username", email, "password", goodPassword))
	wantTokens(t, resp, body)
	if n := a.tokenRequests("/oauth/token"); n != 2 {
		t.Fatalf("/oauth/token reached %d times, want 2", n)
	}
}

func pkce(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func TestAuthorizationCodeGrant(t *testing.T) {
	const redirect = "https://app.example/callback"
	verifier := strings.Repeat("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", 1)
	a := sessionAPI(t, auth0test.Config{})
	code := a.srv.IssueCode(auth0test.CodeGrant{Email: email, RedirectURI: redirect, CodeChallenge: pkce(verifier), Scope: "openid offline_access"})
	ok := formEvent("grant_type", "authorization_code", "code", code, "redirect_uri", redirect, "code_verifier", verifier)
	resp, body := a.call(a.token, ok)
	if rt := wantTokens(t, resp, body); rt == "" {
		t.Fatalf("no refresh_token with offline_access: %v", body)
	}
	// A code is single use.
	resp, body = a.call(a.token, ok)
	wantError(t, resp, body, 400, "invalid_grant")

	other := strings.Repeat("x", 43)
	for name, ev := range map[string]func(code string) events.APIGatewayV2HTTPRequest{
		"wrong verifier": func(code string) events.APIGatewayV2HTTPRequest {
			return formEvent("grant_type", "authorization_code", "code", code, "redirect_uri", redirect, "code_verifier", other)
		},
		"no verifier": func(code string) events.APIGatewayV2HTTPRequest {
			return jsonOf("grant_type", "authorization_code", "code", code, "redirect_uri", redirect)
		},
		"other redirect_uri": func(code string) events.APIGatewayV2HTTPRequest {
			return formEvent("grant_type", "authorization_code", "code", code, "redirect_uri", redirect+"/x", "code_verifier", verifier)
		},
		"unknown code": func(string) events.APIGatewayV2HTTPRequest {
			return formEvent("grant_type", "authorization_code", "code", "never-issued-code", "redirect_uri", redirect, "code_verifier", verifier)
		},
	} {
		t.Run(name, func(t *testing.T) {
			a.t = t
			code := a.srv.IssueCode(auth0test.CodeGrant{Email: email, RedirectURI: redirect, CodeChallenge: pkce(verifier)})
			resp, body := a.call(a.token, ev(code))
			wantError(t, resp, body, 400, "invalid_grant")
		})
	}
}

func TestLogout(t *testing.T) {
	a := sessionAPI(t, auth0test.Config{})
	rt := a.login()
	resp := a.invoke(a.logout, jsonOf("refresh_token", rt))
	wantNoContent(t, resp)
	if n := a.srv.RefreshTokens(email); n != 0 {
		t.Fatalf("%d refresh-token families left after logout", n)
	}
	r, body := a.call(a.token, formEvent("grant_type", "refresh_token", "refresh_token", rt))
	wantError(t, r, body, 401, "session_expired")
	// Logging out again, or with a token never issued, is no error.
	wantNoContent(t, a.invoke(a.logout, formEvent("refresh_token", rt)))
	wantNoContent(t, a.invoke(a.logout, formEvent("refresh_token", "v1.never-issued-token")))
}

func wantNoContent(t *testing.T, resp events.APIGatewayV2HTTPResponse) {
	t.Helper()
	if resp.StatusCode != http.StatusNoContent || resp.Body != "" || resp.Headers["Cache-Control"] != "no-store" {
		t.Fatalf("got %d %v %q, want 204 with Cache-Control: no-store and no body", resp.StatusCode, resp.Headers, resp.Body)
	}
}

func TestLogoutFailures(t *testing.T) {
	cases := []struct {
		name   string
		ev     events.APIGatewayV2HTTPRequest
		setup  func(*testAPI)
		status int
		code   string
		sent   int // requests that reach Auth0's /oauth/revoke
	}{
		{"no refresh_token", jsonOf("token", "v1.abc"), nil, 400, "invalid_request", 0},
		{"empty refresh_token", formEvent("refresh_token", ""), nil, 400, "invalid_request", 0},
		{"refresh_token too long", formEvent("refresh_token", strings.Repeat("r", MaxTokenBytes+1)), nil, 400, "invalid_request", 0},
		{"not JSON", jsonEvent("refresh_token=v1.abc"), nil, 400, "invalid_request", 0},
		{"text/plain", event("POST", "text/plain", "v1.abc"), nil, 415, "unsupported_media_type", 0},
		{"GET", event("GET", "", ""), nil, 405, "method_not_allowed", 0},
		{"secret unavailable", jsonOf("refresh_token", "v1.abc"), func(a *testAPI) { a.secret.set("", errBoom) }, 503, "secret_unavailable", 0},
		{"secret rejected", jsonOf("refresh_token", "v1.abc"), func(a *testAPI) {
			sensitive("client secret", "never-valid-secret")
			a.secret.set("never-valid-secret", nil)
		}, 500, "server_misconfigured", 1}, // re-read, unchanged: not sent again
		{"auth0 503", jsonOf("refresh_token", "v1.abc"), func(a *testAPI) {
			a.srv.Fault("/oauth/revoke", auth0test.Fault{Status: 503, Body: "Service Unavailable"})
		}, 502, "upstream_error", 1},
		{"dropped connection", jsonOf("refresh_token", "v1.abc"), func(a *testAPI) {
			a.srv.Fault("/oauth/revoke", auth0test.Fault{Drop: true})
		}, 502, "upstream_error", 1},
		{"auth0 rate limit", jsonOf("refresh_token", "v1.abc"), func(a *testAPI) {
			a.srv.Fault("/oauth/revoke", auth0test.Fault{Status: 429, Body: `{"error":"too_many_requests","error_description":"Too many requests."}`})
		}, 429, "rate_limited", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := sessionAPI(t, auth0test.Config{})
			if c.setup != nil {
				c.setup(a)
			}
			resp, body := a.call(a.logout, c.ev)
			wantError(t, resp, body, c.status, c.code)
			if n := a.tokenRequests("/oauth/revoke"); n != c.sent {
				t.Fatalf("/oauth/revoke reached %d times, want %d", n, c.sent)
			}
		})
	}
}

// /token and /logout share the secret re-read: a rotated secret is read
// again once and the call made with it.
func TestLogoutRereadsRotatedSecretOnce(t *testing.T) {
	a := sessionAPI(t, auth0test.Config{})
	rt := a.login()
	sensitive("client secret", "rotated-secret-2")
	a.srv.SetClientSecret("rotated-secret-2")
	refreshTo(a.secret, "rotated-secret-2")
	wantNoContent(t, a.invoke(a.logout, jsonOf("refresh_token", rt)))
	if a.secret.refreshed != 1 || a.srv.RefreshTokens(email) != 0 {
		t.Fatalf("refreshed %d times, %d families left", a.secret.refreshed, a.srv.RefreshTokens(email))
	}
	if !strings.Contains(a.logs.String(), `"secret_reread":true`) {
		t.Fatalf("the log does not say the secret was read again:\n%s", a.logs)
	}
}

func TestPasswordResetAnswersTheSameForUnknownEmails(t *testing.T) {
	a := sessionAPI(t, auth0test.Config{})
	known, body := a.call(a.reset, jsonOf("email", email))
	unknown, _ := a.call(a.reset, formEvent("email", "nobody@example.com"))
	if known.StatusCode != http.StatusAccepted || body["message"] != PasswordResetMessage {
		t.Fatalf("got %d %v", known.StatusCode, body)
	}
	if known.Body != unknown.Body || known.StatusCode != unknown.StatusCode || len(known.Headers) != len(unknown.Headers) {
		t.Fatalf("known: %d %v %s\nunknown: %d %v %s", known.StatusCode, known.Headers, known.Body,
			unknown.StatusCode, unknown.Headers, unknown.Body)
	}
	msgs := a.srv.Messages()
	if len(msgs) != 1 || msgs[0].Kind != auth0test.MessagePasswordReset || msgs[0].To != email {
		t.Fatalf("messages %+v, want one reset email to %s", msgs, email)
	}
	if n := a.tokenRequests("/dbconnections/change_password"); n != 2 {
		t.Fatalf("Auth0 asked %d times, want 2 (the call is made for unknown emails too)", n)
	}
	if strings.Contains(a.logs.String(), "nobody@") {
		t.Fatalf("an unmasked email in the log:\n%s", a.logs)
	}
}

func TestPasswordResetFailures(t *testing.T) {
	cases := []struct {
		name   string
		ev     events.APIGatewayV2HTTPRequest
		setup  func(*testAPI)
		status int
		code   string
		sent   int
	}{
		{"invalid email", jsonOf("email", "jane@"), nil, 400, "invalid_request", 0},
		{"no email", jsonOf("mail", email), nil, 400, "invalid_request", 0},
		{"email twice", event("POST", "application/x-www-form-urlencoded", "email=a%40example.com&email=b%40example.com"), nil, 400, "invalid_request", 0},
		{"empty body", jsonEvent(""), nil, 400, "invalid_request", 0},
		{"GET", event("GET", "", ""), nil, 405, "method_not_allowed", 0},
		{"auth0 rate limit", jsonOf("email", email), func(a *testAPI) {
			a.srv.Fault("/dbconnections/change_password", auth0test.Fault{Status: 429, Body: `{"error":"too_many_requests","error_description":"Too many requests."}`,
				Header: http.Header{"X-Ratelimit-Reset": {"9999999999"}}})
		}, 429, "rate_limited", 1},
		{"auth0 rate limit, other code", jsonOf("email", email), func(a *testAPI) {
			a.srv.Fault("/dbconnections/change_password", auth0test.Fault{Status: 429, Body: `{"error":"too_many_attempts"}`})
		}, 429, "rate_limited", 1},
		{"unknown connection", jsonOf("email", email), func(a *testAPI) {
			a.srv.Fault("/dbconnections/change_password", auth0test.Fault{Status: 400, Body: `{"name":"BadRequestError","code":"bad.connection","description":"connection not found","statusCode":400}`})
		}, 500, "server_misconfigured", 1},
		{"auth0 503 is not retried", jsonOf("email", email), func(a *testAPI) {
			a.srv.Fault("/dbconnections/change_password", auth0test.Fault{Status: 503, Body: "Service Unavailable"})
		}, 502, "upstream_error", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := sessionAPI(t, auth0test.Config{})
			if c.setup != nil {
				c.setup(a)
			}
			resp, body := a.call(a.reset, c.ev)
			wantError(t, resp, body, c.status, c.code)
			if n := a.tokenRequests("/dbconnections/change_password"); n != c.sent {
				t.Fatalf("Auth0 asked %d times, want %d", n, c.sent)
			}
			if c.status == 429 {
				if s, err := strconv.Atoi(resp.Headers["Retry-After"]); err != nil || s < 1 {
					t.Fatalf("Retry-After = %q", resp.Headers["Retry-After"])
				}
			}
		})
	}
}

func TestPasswordResetWithAWrongConnectionIsMisconfigured(t *testing.T) {
	srv := auth0test.NewServer(auth0test.Config{})
	t.Cleanup(srv.Close)
	c := srv.Config()
	a := newTestAPIFor(t, srv, auth0.Config{BaseURL: srv.URL, ClientID: c.ClientID, Audience: c.Audience,
		Connection: "No-Such-Connection", Scope: auth0.DefaultScope})
	resp, body := a.call(a.reset, jsonOf("email", email))
	wantError(t, resp, body, 500, "server_misconfigured")
	if !strings.Contains(a.logs.String(), "AUTH0_CONNECTION") {
		t.Fatalf("the log does not say what to fix:\n%s", a.logs)
	}
}

// The functions as main wires them: each route behind its router.
func TestFunctionsServeTheirRoutes(t *testing.T) {
	a := sessionAPI(t, auth0test.Config{})
	at := func(ev events.APIGatewayV2HTTPRequest, path string) events.APIGatewayV2HTTPRequest {
		ev.RawPath, ev.RequestContext.HTTP.Path = path, path
		return ev
	}
	resp, body := a.call(a.tokenFn, at(formEvent("username", email, "password", goodPassword), "/token"))
	rt := wantTokens(t, resp, body)
	wantNoContent(t, a.invoke(a.tokenFn, at(jsonOf("refresh_token", rt), "/logout")))
	resp, body = a.call(a.signupFn, at(jsonOf("email", "new@example.com", "password", goodPassword), "/signup"))
	if resp.StatusCode != 201 {
		t.Fatalf("signup: %d %v", resp.StatusCode, body)
	}
	resp, body = a.call(a.signupFn, at(jsonOf("email", email), "/password/reset"))
	if resp.StatusCode != 202 || body["message"] != PasswordResetMessage {
		t.Fatalf("reset: %d %v", resp.StatusCode, body)
	}

	for _, c := range []struct {
		h            Handler
		method, path string
		status       int
		allow        string
	}{
		{a.tokenFn, "GET", "/logout", 405, "POST"},
		{a.tokenFn, "POST", "/password/reset", 404, ""},
		{a.signupFn, "PUT", "/password/reset", 405, "POST"},
		{a.signupFn, "POST", "/token", 404, ""},
	} {
		resp, body := a.call(c.h, at(event(c.method, "", ""), c.path))
		if resp.StatusCode != c.status || resp.Headers["Allow"] != c.allow {
			t.Errorf("%s %s: %d %v %v", c.method, c.path, resp.StatusCode, resp.Headers, body)
		}
	}
}

func ptr[T any](v T) *T { return &v }
