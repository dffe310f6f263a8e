package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/internal/contracttest"
	"github.com/auth0-sam-go/authapi/pkg/auth0"
	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
	"github.com/aws/aws-lambda-go/events"
)

const (
	goodPassword = "Correct-Horse-42"
	email        = "jane.doe@example.com"
)

func TestSignupCreatesUser(t *testing.T) {
	a := newTestAPI(t, auth0test.Config{})
	resp, body := a.call(a.signup, creds(email, goodPassword))
	if resp.StatusCode != http.StatusCreated || body["message"] != "User Created" {
		t.Fatalf("got %d %v", resp.StatusCode, body)
	}
	id, ok := a.srv.UserID(email)
	if !ok || body["user_id"] != id || !strings.HasPrefix(id, "auth0|") {
		t.Fatalf("user_id %v, server has %q", body["user_id"], id)
	}
	if resp.Headers["Cache-Control"] != "no-store" {
		t.Errorf("Cache-Control = %q", resp.Headers["Cache-Control"])
	}
}

func TestTokenIssuesAccessTokenForTheSignedUpUser(t *testing.T) {
	a := newTestAPI(t, auth0test.Config{})
	_, signup := a.call(a.signup, creds(email, goodPassword))
	resp, body := a.call(a.token, creds(email, goodPassword))
	if resp.StatusCode != http.StatusOK || body["token_type"] != "Bearer" || body["expires_in"] != float64(86400) {
		t.Fatalf("got %d %v", resp.StatusCode, body)
	}
	if resp.Headers["Cache-Control"] != "no-store" {
		t.Fatalf("token answer without Cache-Control: no-store: %v", resp.Headers)
	}
	if _, ok := body["id_token"]; ok {
		t.Fatal("the id_token must never be passed on")
	}
	if body["access_token"] == nil || body["access_token"] != body["data"] {
		t.Fatalf("access_token %v must equal data %v", body["access_token"], body["data"])
	}
	claims := jwtClaims(t, body["data"].(string))
	if claims["sub"] != signup["user_id"] || claims["iss"] != a.srv.Issuer() || claims["azp"] != a.cfg.ClientID {
		t.Fatalf("claims %v", claims)
	}
}

func TestTokenPassesOnRefreshToken(t *testing.T) {
	srv := auth0test.NewServer(auth0test.Config{})
	t.Cleanup(srv.Close)
	c := srv.Config()
	a := newTestAPIFor(t, srv, auth0.Config{BaseURL: srv.URL, ClientID: c.ClientID, Audience: c.Audience,
		Connection: c.Connection, Scope: "openid offline_access"})
	srv.AddUser(email, goodPassword)
	_, body := a.call(a.token, creds(email, goodPassword))
	if rt, _ := body["refresh_token"].(string); rt == "" {
		t.Fatalf("no refresh_token in %v", body)
	}
}

func jwtClaims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %.20q", jwt)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

func TestBadInputNeverReachesAuth0(t *testing.T) {
	a := newTestAPI(t, auth0test.Config{})
	for _, c := range badRequests() {
		for route, h := range map[string]Handler{"signup": a.signup, "token": a.token} {
			if route == "token" && strings.HasPrefix(header(c.ev.Headers, "content-type"), "application/x-www-form-urlencoded") {
				continue // /token takes forms: badTokenRequests has its cases
			}
			t.Run(route+"/"+c.name, func(t *testing.T) {
				a.t = t
				resp, body := a.call(h, c.ev)
				wantError(t, resp, body, c.status, c.code)
				if body["error"] != http.StatusText(c.status) {
					t.Errorf("error = %v, want %q", body["error"], http.StatusText(c.status))
				}
				if c.status == http.StatusMethodNotAllowed && resp.Headers["Allow"] != "POST" {
					t.Errorf("405 without Allow: POST")
				}
			})
		}
	}
	if n := len(a.srv.Requests()); n != 0 {
		t.Fatalf("bad input reached Auth0 %d times", n)
	}
}

func TestSignupFailures(t *testing.T) {
	cases := []struct {
		name     string
		cfg      auth0test.Config
		setup    func(*auth0test.Server)
		password string
		status   int
		code     string
		message  string
	}{
		{"user exists", auth0test.Config{}, func(s *auth0test.Server) { s.AddUser(email, goodPassword) }, goodPassword, 400, "invalid_signup", ""},
		{"user exists, generic error tenant", auth0test.Config{GenericSignupError: true}, func(s *auth0test.Server) { s.AddUser(email, goodPassword) }, goodPassword, 400, "invalid_signup", ""},
		{"weak password", auth0test.Config{}, nil, "alllowercase", 400, "weak_password", "upper case letters"},
		{"short password", auth0test.Config{}, nil, "Ab1!", 400, "weak_password", "At least 8 characters"},
		{"common password", auth0test.Config{}, nil, "Password123!", 400, "weak_password", "too common"},
		{"leaked password", auth0test.Config{}, func(s *auth0test.Server) { s.LeakPassword("Leaked-Pass-99") }, "Leaked-Pass-99", 400, "invalid_signup", ""},
		{"auth0 rate limit", auth0test.Config{}, func(s *auth0test.Server) {
			s.Fault("/dbconnections/signup", auth0test.Fault{Status: 429, Body: `{"error":"too_many_requests","error_description":"Too many requests."}`,
				Header: http.Header{"X-Ratelimit-Reset": {strconv.FormatInt(time.Now().Unix()+5, 10)}}})
		}, goodPassword, 429, "rate_limited", ""},
		{"auth0 500", auth0test.Config{}, func(s *auth0test.Server) { s.Fault("/dbconnections/signup", auth0test.Fault{Status: 500, Body: `{}`}) }, goodPassword, 502, "upstream_error", ""},
		{"html answer", auth0test.Config{}, func(s *auth0test.Server) {
			s.Fault("/dbconnections/signup", auth0test.Fault{Status: 200, Body: "<html>hi</html>", Header: http.Header{"Content-Type": {"text/html"}}})
		}, goodPassword, 502, "upstream_error", ""},
		{"dropped connection", auth0test.Config{}, func(s *auth0test.Server) { s.Fault("/dbconnections/signup", auth0test.Fault{Drop: true}) }, goodPassword, 502, "upstream_error", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := newTestAPI(t, c.cfg)
			if c.setup != nil {
				c.setup(a.srv)
			}
			resp, body := a.call(a.signup, creds(email, c.password))
			wantError(t, resp, body, c.status, c.code)
			if c.message != "" && !strings.Contains(body["message"].(string), c.message) {
				t.Errorf("message %q does not mention %q", body["message"], c.message)
			}
			if c.code == "rate_limited" && resp.Headers["Retry-After"] == "" {
				t.Errorf("rate_limited without Retry-After")
			}
		})
	}
}

func TestSignupIsNotRetriedAfterADroppedConnection(t *testing.T) {
	a := newTestAPI(t, auth0test.Config{})
	a.srv.Fault("/dbconnections/signup", auth0test.Fault{Drop: true})
	resp, body := a.call(a.signup, creds(email, goodPassword))
	wantError(t, resp, body, 502, "upstream_error")
	if n := len(a.srv.Requests()); n != 1 {
		t.Fatalf("signup sent %d times, want 1", n)
	}
}

func TestTokenFailures(t *testing.T) {
	cases := []struct {
		name   string
		cfg    auth0test.Config
		setup  func(*auth0test.Server)
		status int
		code   string
	}{
		{"wrong password", auth0test.Config{}, nil, 401, "invalid_credentials"},
		{"blocked user", auth0test.Config{}, func(s *auth0test.Server) { s.BlockUser(email) }, 403, "access_denied"},
		{"mfa required", auth0test.Config{}, func(s *auth0test.Server) { s.RequireMFA(email) }, 403, "mfa_required"},
		{"leaked password", auth0test.Config{}, func(s *auth0test.Server) { s.LeakPassword(goodPassword) }, 403, "access_denied"},
		{"rule denies", auth0test.Config{}, func(s *auth0test.Server) {
			s.Fault("/oauth/token", auth0test.Fault{Status: 403, Body: `{"error":"access_denied","error_description":"Only staff"}`})
		}, 403, "access_denied"},
		{"bot detection", auth0test.Config{}, func(s *auth0test.Server) {
			s.Fault("/oauth/token", auth0test.Fault{Status: 401, Body: `{"error":"requires_verification","error_description":"Suspicious request requires verification"}`})
		}, 403, "access_denied"},
		{"auth0 rate limit", auth0test.Config{}, func(s *auth0test.Server) {
			s.Fault("/oauth/token", auth0test.Fault{Status: 429, Body: `{"error":"too_many_requests","error_description":"Too many requests."}`})
		}, 429, "rate_limited"},
		{"auth0 502", auth0test.Config{}, func(s *auth0test.Server) { s.Fault("/oauth/token", auth0test.Fault{Status: 502, Body: "Bad Gateway"}) }, 502, "upstream_error"},
		{"truncated json", auth0test.Config{}, func(s *auth0test.Server) {
			s.Fault("/oauth/token", auth0test.Fault{Status: 200, Body: `{"access_token":"ey`})
		}, 502, "upstream_error"},
		{"empty body", auth0test.Config{}, func(s *auth0test.Server) { s.Fault("/oauth/token", auth0test.Fault{Status: 200}) }, 502, "upstream_error"},
		{"dropped connection", auth0test.Config{}, func(s *auth0test.Server) { s.Fault("/oauth/token", auth0test.Fault{Drop: true}) }, 502, "upstream_error"},
		{"grant not enabled", auth0test.Config{}, func(s *auth0test.Server) {
			s.Fault("/oauth/token", auth0test.Fault{Status: 403, Body: `{"error":"unauthorized_client","error_description":"Grant type 'http://auth0.com/oauth/grant-type/password-realm' not allowed for the client."}`})
		}, 500, "server_misconfigured"},
		{"no default connection", auth0test.Config{}, func(s *auth0test.Server) {
			s.Fault("/oauth/token", auth0test.Fault{Status: 500, Body: `{"error":"server_error","error_description":"Authorization server not configured with default connection."}`})
		}, 500, "server_misconfigured"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := newTestAPI(t, c.cfg)
			a.srv.AddUser(email, goodPassword)
			if c.setup != nil {
				c.setup(a.srv)
			}
			password := goodPassword
			if c.code == "invalid_credentials" {
				password = "Wrong-Horse-43"
			}
			resp, body := a.call(a.token, creds(email, password))
			wantError(t, resp, body, c.status, c.code)
			if c.code == "mfa_required" {
				if tok, _ := body["mfa_token"].(string); tok == "" {
					t.Errorf("mfa_required without its mfa_token: %s", resp.Body)
				}
			} else if strings.Contains(resp.Body, "mfa_token") || strings.Contains(resp.Body, "Fe26") {
				t.Errorf("Auth0 token material in the body: %s", resp.Body)
			}
			if c.code == "rate_limited" && resp.Headers["Retry-After"] == "" {
				t.Errorf("rate_limited without Retry-After")
			}
		})
	}
}

func TestWrongPasswordAndUnknownUserAnswerIdentically(t *testing.T) {
	a := newTestAPI(t, auth0test.Config{})
	a.srv.AddUser(email, goodPassword)
	wrong, _ := a.call(a.token, creds(email, "Wrong-Horse-43"))
	unknown, _ := a.call(a.token, creds("nobody@example.com", "Wrong-Horse-43"))
	if wrong.StatusCode != 401 || wrong.StatusCode != unknown.StatusCode || wrong.Body != unknown.Body {
		t.Fatalf("wrong password: %d %s\nunknown user: %d %s", wrong.StatusCode, wrong.Body, unknown.StatusCode, unknown.Body)
	}
	if len(wrong.Headers) != len(unknown.Headers) {
		t.Fatalf("headers differ: %v vs %v", wrong.Headers, unknown.Headers)
	}
}

func TestBruteForceGivesTooManyAttempts(t *testing.T) {
	a := newTestAPI(t, auth0test.Config{MaxFailedLogins: 3})
	a.srv.AddUser(email, goodPassword)
	for i := 0; i < 3; i++ {
		resp, body := a.call(a.token, creds(email, "Wrong-Horse-43"))
		wantError(t, resp, body, 401, "invalid_credentials")
	}
	resp, body := a.call(a.token, creds(email, goodPassword))
	wantError(t, resp, body, 429, "too_many_attempts")

	// Another end user's IP is not blocked: Auth0 sees the caller's IP.
	ev := creds(email, goodPassword)
	ev.RequestContext.HTTP.SourceIP = "198.51.100.7"
	if resp, body := a.call(a.token, ev); resp.StatusCode != 200 {
		t.Fatalf("other IP: %d %v", resp.StatusCode, body)
	}
}

func TestTokenForwardsTheCallerIP(t *testing.T) {
	a := newTestAPI(t, auth0test.Config{})
	a.srv.AddUser(email, goodPassword)
	ev := creds(email, goodPassword)
	ev.RequestContext.HTTP.SourceIP = "2001:db8::1"
	a.call(a.token, ev)
	reqs := a.srv.Requests()
	if len(reqs) != 1 || reqs[0].Header.Get("Auth0-Forwarded-For") != "2001:db8::1" {
		t.Fatalf("requests %+v", reqs)
	}
}

func TestAuth0RateLimitSetsRetryAfterFromReset(t *testing.T) {
	a := newTestAPI(t, auth0test.Config{RateLimit: 1})
	a.srv.AddUser(email, goodPassword)
	var last events.APIGatewayV2HTTPResponse
	var body map[string]any
	for i := 0; i < 3 && last.StatusCode != 429; i++ {
		last, body = a.call(a.token, creds(email, goodPassword))
	}
	wantError(t, last, body, 429, "rate_limited")
	secs, err := strconv.Atoi(last.Headers["Retry-After"])
	if err != nil || secs < 1 || secs > 2 {
		t.Fatalf("Retry-After = %q, want 1-2 seconds from x-ratelimit-reset", last.Headers["Retry-After"])
	}
}

func TestTokenSecretUnavailable(t *testing.T) {
	a := newTestAPI(t, auth0test.Config{})
	a.secret.set("", errBoom)
	resp, body := a.call(a.token, creds(email, goodPassword))
	wantError(t, resp, body, 503, "secret_unavailable")
	if n := len(a.srv.Requests()); n != 0 {
		t.Fatalf("called Auth0 %d times without a secret", n)
	}
}

func TestTokenRereadsRotatedSecretOnce(t *testing.T) {
	a := newTestAPI(t, auth0test.Config{})
	a.srv.AddUser(email, goodPassword)
	sensitive("client secret", "rotated-secret-2")
	a.srv.SetClientSecret("rotated-secret-2")
	// The store still holds the old value; a re-read yields the new one.
	refreshTo(a.secret, "rotated-secret-2")
	resp, body := a.call(a.token, creds(email, goodPassword))
	if resp.StatusCode != 200 {
		t.Fatalf("got %d %v", resp.StatusCode, body)
	}
	if a.secret.refreshed != 1 {
		t.Fatalf("refreshed %d times, want 1", a.secret.refreshed)
	}
}

func TestTokenRejectedSecretIsMisconfiguredAfterOneReread(t *testing.T) {
	a := newTestAPI(t, auth0test.Config{})
	a.srv.AddUser(email, goodPassword)
	sensitive("client secret", "never-valid-secret")
	a.secret.set("never-valid-secret", nil)
	resp, body := a.call(a.token, creds(email, goodPassword))
	wantError(t, resp, body, 500, "server_misconfigured")
	if a.secret.refreshed != 1 {
		t.Fatalf("refreshed %d times, want 1", a.secret.refreshed)
	}
	if !strings.Contains(a.logs.String(), "Client Secret") {
		t.Fatalf("the log does not say what to fix:\n%s", a.logs)
	}
}

func TestMisconfiguredSettingsAnswer500(t *testing.T) {
	cases := map[string]func(*auth0.Config){
		"unknown client id": func(c *auth0.Config) { c.ClientID = "nope" },
		"unknown audience":  func(c *auth0.Config) { c.Audience = "https://unknown.example" },
		"unknown realm":     func(c *auth0.Config) { c.Connection = "no-such-connection" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			srv := auth0test.NewServer(auth0test.Config{})
			t.Cleanup(srv.Close)
			srv.AddUser(email, goodPassword)
			c := srv.Config()
			cfg := auth0.Config{BaseURL: srv.URL, ClientID: c.ClientID, Audience: c.Audience, Connection: c.Connection, Scope: "openid"}
			mutate(&cfg)
			a := newTestAPIFor(t, srv, cfg)
			resp, body := a.call(a.token, creds(email, goodPassword))
			wantError(t, resp, body, 500, "server_misconfigured")
			if !strings.Contains(a.logs.String(), `"fix":`) {
				t.Fatalf("no fix hint in the log:\n%s", a.logs)
			}
		})
	}
	t.Run("signup unknown connection", func(t *testing.T) {
		srv := auth0test.NewServer(auth0test.Config{})
		t.Cleanup(srv.Close)
		c := srv.Config()
		a := newTestAPIFor(t, srv, auth0.Config{BaseURL: srv.URL, ClientID: c.ClientID, Connection: "nope"})
		resp, body := a.call(a.signup, creds(email, goodPassword))
		wantError(t, resp, body, 500, "server_misconfigured")
	})
}

func TestMisconfiguredHandler(t *testing.T) {
	logs := &syncBuffer{}
	h := NewInit(logs, "POST /token").Misconfigured(errors.Join(errors.New("AUTH0_CLIENT_ID: not set"), errors.New("AUTH0_CLIENT_SECRET_ARN: not set")))
	a := &testAPI{t: t}
	resp, body := a.call(h, creds(email, goodPassword))
	wantError(t, resp, body, 500, "server_misconfigured")
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"level":"ERROR"`) || !strings.Contains(lines[0], "init failed") ||
		!strings.Contains(lines[0], "AUTH0_CLIENT_ID") || !strings.Contains(lines[0], "AUTH0_CLIENT_SECRET_ARN") ||
		!strings.Contains(lines[1], `"level":"ERROR"`) {
		t.Fatalf("want one init ERROR line naming both settings, then the request's:\n%s", logs)
	}
}

// The deadline tests (1 s, 3 s and 10 s, repeated, both handlers) are
// TestDeadlineDiscipline in faults_test.go.

func TestOneLogLinePerRequestWithMaskedEmail(t *testing.T) {
	a := newTestAPI(t, auth0test.Config{})
	a.call(a.signup, creds(email, goodPassword))
	a.call(a.token, creds(email, "Wrong-Horse-43"))
	lines := strings.Split(strings.TrimSpace(a.logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want 2:\n%s", len(lines), a.logs)
	}
	var first, second map[string]any
	json.Unmarshal([]byte(lines[0]), &first)
	json.Unmarshal([]byte(lines[1]), &second)
	if first["route"] != "POST /signup" || first["status"] != float64(201) || first["email"] != "j***@example.com" {
		t.Errorf("signup line %v", first)
	}
	if second["status"] != float64(401) || second["code"] != "invalid_credentials" || second["auth0_code"] != "invalid_grant" || second["level"] != "WARN" {
		t.Errorf("token line %v", second)
	}
	if _, ok := second["auth0_ms"]; !ok {
		t.Errorf("no auth0_ms in %v", second)
	}
}

type panickingAuth0 struct{}

func (panickingAuth0) Signup(context.Context, string, string) (auth0.SignupResult, error) {
	panic("bug")
}

// A bug in a handler still gives the caller the contract's JSON and the
// operator exactly one ERROR line, instead of API Gateway's bare 500.
func TestPanicGivesJSONAndOneLogLine(t *testing.T) {
	logs := &syncBuffer{}
	recordLogs(t, logs)
	h := NewSignupHandler(panickingAuth0{}, NewLogger(logs))
	resp, err := h(context.Background(), creds(email, goodPassword))
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	json.Unmarshal([]byte(resp.Body), &body)
	wantError(t, resp, body, 500, "internal_error")
	contracttest.Load(t).Check(t, "POST", "/signup", resp.StatusCode, resp.Headers, resp.Body)
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `"level":"ERROR"`) || !strings.Contains(lines[0], `"code":"internal_error"`) {
		t.Fatalf("log:\n%s", logs)
	}
}
