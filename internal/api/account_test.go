package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/pkg/auth0"
	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
	"github.com/aws/aws-lambda-go/events"
)

// fakeCreds is an in-memory source of the Management API's credentials.
type fakeCreds struct {
	mu    sync.Mutex
	creds auth0.ClientCredentials
	err   error
}

func (f *fakeCreds) Get(context.Context) (auth0.ClientCredentials, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.creds, f.err
}

func (f *fakeCreds) Refresh(ctx context.Context) (auth0.ClientCredentials, error) { return f.Get(ctx) }

// bearerRecorder registers every bearer token the Management client sends,
// so the leak scan proves none is ever logged.
type bearerRecorder struct{ next http.RoundTripper }

func (b bearerRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		sensitive("management token", tok)
	}
	return b.next.RoundTrip(r)
}

// accountAPI is the account function's handlers, wired as its main wires
// them, beside the signup and token handlers of the same tenant.
type accountAPI struct {
	*testAPI
	creds       *fakeCreds
	deleteMe    Handler
	verifyEmail Handler
	me          Handler
}

func newAccountAPI(t *testing.T, cfg auth0test.Config) *accountAPI {
	t.Helper()
	a := newTestAPI(t, cfg)
	m2m := a.srv.Config().M2M
	sensitive("management client secret", m2m.Secret)
	hc := auth0.NewHTTPClient()
	hc.Transport = bearerRecorder{hc.Transport}
	client := auth0.NewClient(a.cfg, hc)
	creds := &fakeCreds{creds: auth0.ClientCredentials{ID: m2m.ID, Secret: m2m.Secret}}
	mgmt := auth0.NewManagement(client, ManagementCredentials(creds))
	logger := NewLogger(a.logs)
	return &accountAPI{testAPI: a, creds: creds,
		deleteMe:    NewDeleteMeHandler(client, a.secret, mgmt, logger),
		verifyEmail: NewVerificationEmailHandler(mgmt, logger),
		me:          NewMeHandler(logger)}
}

// login signs up (or re-uses) a user and returns the claims of its access
// token as the JWT authorizer hands them over.
func (a *accountAPI) login(email, password string) map[string]string {
	a.t.Helper()
	a.srv.AddUser(email, password)
	resp, body := a.call(a.token, creds(email, password))
	if resp.StatusCode != http.StatusOK {
		a.t.Fatalf("login: %d %v", resp.StatusCode, body)
	}
	return asGateway(jwtClaims(a.t, body["data"].(string)))
}

// machineClaims are the claims of a client-credentials token for the API's
// own audience: the authorizer accepts it like a user's.
func (a *accountAPI) machineClaims() map[string]string {
	a.t.Helper()
	c := a.srv.Config()
	resp, err := http.PostForm(a.srv.URL+"/oauth/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {c.M2M.ID}, "client_secret": {c.M2M.Secret}, "audience": {c.Audience}})
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		a.t.Fatalf("client credentials: %d %v", resp.StatusCode, err)
	}
	sensitive("machine token", tok.AccessToken)
	return asGateway(jwtClaims(a.t, tok.AccessToken))
}

// accountEvent is a request to an account route after the JWT authorizer
// accepted its token.
func accountEvent(method, path string, claims map[string]string, contentType, body string) events.APIGatewayV2HTTPRequest {
	ev := meEvent("x", claims)
	ev.RouteKey, ev.RawPath = method+" "+path, path
	ev.RequestContext.RouteKey = ev.RouteKey
	ev.RequestContext.HTTP.Method, ev.RequestContext.HTTP.Path = method, path
	ev.Body = body
	if contentType != "" {
		ev.Headers["content-type"] = contentType
	}
	return ev
}

func deleteEvent(claims map[string]string, password string) events.APIGatewayV2HTTPRequest {
	b, _ := json.Marshal(map[string]string{"password": password})
	return accountEvent("DELETE", "/me", claims, "application/json", string(b))
}

func verifyEvent(claims map[string]string) events.APIGatewayV2HTTPRequest {
	return accountEvent("POST", "/me/verification-email", claims, "", "")
}

// invoke is call for answers that may have no body (204).
func (a *accountAPI) invoke(h Handler, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, map[string]any) {
	a.t.Helper()
	return a.invokeWithin(10*time.Second, h, ev)
}

func (a *accountAPI) invokeWithin(d time.Duration, h Handler, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, map[string]any) {
	a.t.Helper()
	noteEvent(ev)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	resp, err := h(ctx, ev)
	if err != nil {
		a.t.Fatalf("handler returned an error: %v", err)
	}
	if resp.Headers["Cache-Control"] != "no-store" {
		a.t.Errorf("Cache-Control = %q", resp.Headers["Cache-Control"])
	}
	var body map[string]any
	if resp.StatusCode == http.StatusNoContent {
		if resp.Body != "" || resp.Headers["Content-Type"] != "" {
			a.t.Fatalf("204 with a body or a Content-Type: %q %v", resp.Body, resp.Headers)
		}
	} else if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || resp.Headers["Content-Type"] != "application/json" {
		a.t.Fatalf("not a JSON answer: %v %q", resp.Headers, resp.Body)
	}
	a.checkContract(resp)
	return resp, body
}

// canLogIn tries the user's password on POST /token.
func (a *accountAPI) canLogIn(email, password string) bool {
	a.t.Helper()
	resp, body := a.call(a.token, creds(email, password))
	if resp.StatusCode != http.StatusOK && body["code"] != "invalid_credentials" {
		a.t.Fatalf("login: %d %v", resp.StatusCode, body)
	}
	return resp.StatusCode == http.StatusOK
}

func TestDeleteMeNeedsThePasswordThenDeletes(t *testing.T) {
	a := newAccountAPI(t, auth0test.Config{})
	claims := a.login(email, goodPassword)

	resp, body := a.invoke(a.deleteMe, deleteEvent(claims, "Wrong-Horse-42"))
	wantError(t, resp, body, http.StatusUnauthorized, "invalid_credentials")
	if !a.canLogIn(email, goodPassword) {
		t.Fatal("a wrong password deleted the account")
	}

	resp, _ = a.invoke(a.deleteMe, deleteEvent(claims, goodPassword))
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("got %d %s", resp.StatusCode, resp.Body)
	}
	line := lastLogLine(t, a.logs)
	if line["route"] != "DELETE /me" || line["status"] != float64(204) || line["email"] != MaskEmail(email) || line["auth0_ms"] == nil {
		t.Errorf("log line %v", line)
	}
	if _, ok := a.srv.UserID(email); ok {
		t.Fatal("the user still exists")
	}
	if a.canLogIn(email, goodPassword) {
		t.Fatal("the deleted user can still log in")
	}

	// A retry (the first answer lost to a timeout) is 204 again.
	if resp, _ := a.invoke(a.deleteMe, deleteEvent(claims, goodPassword)); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("retry: %d %s", resp.StatusCode, resp.Body)
	}
}

func TestDeleteMeTakesAForm(t *testing.T) {
	a := newAccountAPI(t, auth0test.Config{})
	claims := a.login(email, goodPassword)
	ev := accountEvent("DELETE", "/me", claims, "application/x-www-form-urlencoded", url.Values{"password": {goodPassword}}.Encode())
	if resp, _ := a.invoke(a.deleteMe, ev); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("got %d %s", resp.StatusCode, resp.Body)
	}
}

func TestDeleteMeRefusesBadBodiesBeforeAuth0(t *testing.T) {
	a := newAccountAPI(t, auth0test.Config{})
	claims := a.login(email, goodPassword)
	a.srv.ResetRequests()
	for _, c := range []struct {
		name, contentType, body string
		status                  int
		code                    string
	}{
		{"empty", "application/json", "", 400, "invalid_request"},
		{"no password", "application/json", `{"email":"jane.doe@example.com"}`, 400, "invalid_request"},
		{"empty password", "application/json", `{"password":""}`, 400, "invalid_request"},
		{"password not a string", "application/json", `{"password":42}`, 400, "invalid_request"},
		{"duplicate", "application/json", `{"password":"a","password":"b"}`, 400, "invalid_request"},
		{"duplicate in a form", "application/x-www-form-urlencoded", "password=a&password=b", 400, "invalid_request"},
		{"NUL", "application/json", `{"password":"a\u0000b"}`, 400, "invalid_request"},
		{"not JSON", "application/json", `password`, 400, "invalid_request"},
		{"text", "text/plain", `{"password":"x"}`, 415, "unsupported_media_type"},
		{"too large", "application/json", `{"password":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, 413, "payload_too_large"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a.t = t
			resp, body := a.invoke(a.deleteMe, accountEvent("DELETE", "/me", claims, c.contentType, c.body))
			wantError(t, resp, body, c.status, c.code)
		})
	}
	if n := len(a.srv.Requests()); n != 0 {
		t.Fatalf("%d requests reached Auth0", n)
	}
}

func TestAccountRoutesRefuseOtherTokens(t *testing.T) {
	a := newAccountAPI(t, auth0test.Config{})
	a.srv.AddUser(email, goodPassword)
	machine := a.machineClaims()
	if machine["gty"] != "client-credentials" || !strings.HasSuffix(machine["sub"], "@clients") {
		t.Fatalf("not a machine token: %v", machine)
	}
	onlyClientsSub := map[string]string{"sub": machine["sub"], "exp": machine["exp"]}
	arrayGty := map[string]string{"sub": "auth0|65f1c0ffee", "exp": machine["exp"], "gty": "[refresh_token client-credentials]"}
	social := map[string]string{"sub": "google-oauth2|1234567890", "exp": machine["exp"], "gty": "password"}
	a.srv.ResetRequests()

	for name, c := range map[string]struct {
		claims map[string]string
		status int
		code   string
	}{
		"machine token":        {machine, 403, "user_token_required"},
		"sub of an M2M client": {onlyClientsSub, 403, "user_token_required"},
		"gty array":            {arrayGty, 403, "user_token_required"},
		"social user":          {social, 403, "access_denied"},
		"no claims":            {nil, 401, "invalid_token"},
	} {
		for route, ev := range map[string]events.APIGatewayV2HTTPRequest{
			"DELETE /me":                  deleteEvent(c.claims, goodPassword),
			"POST /me/verification-email": verifyEvent(c.claims),
		} {
			t.Run(name+"/"+route, func(t *testing.T) {
				a.t = t
				h := map[string]Handler{"DELETE /me": a.deleteMe, "POST /me/verification-email": a.verifyEmail}[route]
				resp, body := a.invoke(h, ev)
				wantError(t, resp, body, c.status, c.code)
				if c.status == 401 && resp.Headers["WWW-Authenticate"] != `Bearer error="invalid_token"` {
					t.Errorf("WWW-Authenticate = %q", resp.Headers["WWW-Authenticate"])
				}
			})
		}
	}
	if n := len(a.srv.Requests()); n != 0 {
		t.Fatalf("%d requests reached Auth0", n)
	}
	if _, ok := a.srv.UserID(email); !ok {
		t.Fatal("the user was deleted")
	}
}

// The Done-when test of issue 12: a client-credentials token for the API's
// audience is refused on GET /me too.
func TestMeRefusesAMachineTokenForTheAPIAudience(t *testing.T) {
	a := newAccountAPI(t, auth0test.Config{})
	claims := a.machineClaims()
	if claims["aud"] != a.cfg.Audience {
		t.Fatalf("aud %q, want the API's %q", claims["aud"], a.cfg.Audience)
	}
	resp, body := a.invoke(a.me, meEvent("x", claims))
	wantError(t, resp, body, http.StatusForbidden, "user_token_required")
	if line := lastLogLine(t, a.logs); line["route"] != "GET /me" || line["code"] != "user_token_required" || line["level"] != "WARN" {
		t.Errorf("log line %v", line)
	}
	// The same route still serves users.
	if resp, _ := a.invoke(a.me, meEvent("x", a.login(email, goodPassword))); resp.StatusCode != http.StatusOK {
		t.Fatalf("user token: %d %s", resp.StatusCode, resp.Body)
	}
}

func TestDeleteMeManagementFailures(t *testing.T) {
	fixed := time.Now()
	t.Run("rate limited", func(t *testing.T) {
		a := newAccountAPI(t, auth0test.Config{ManagementRateLimit: 1, Clock: func() time.Time { return fixed }})
		claims := a.login(email, goodPassword)
		resp, body := a.invoke(a.deleteMe, deleteEvent(claims, goodPassword)) // GET passes, DELETE is over
		wantError(t, resp, body, http.StatusTooManyRequests, "rate_limited")
		if s, err := strconv.Atoi(resp.Headers["Retry-After"]); err != nil || s < 1 {
			t.Errorf("Retry-After = %q", resp.Headers["Retry-After"])
		}
		if _, ok := a.srv.UserID(email); !ok {
			t.Fatal("the user was deleted")
		}
	})
	t.Run("no delete:users scope", func(t *testing.T) {
		a := newAccountAPI(t, auth0test.Config{M2M: auth0test.M2MClient{Scopes: []string{"read:users", "update:users"}}})
		claims := a.login(email, goodPassword)
		resp, body := a.invoke(a.deleteMe, deleteEvent(claims, goodPassword))
		wantError(t, resp, body, http.StatusInternalServerError, "server_misconfigured")
		line := lastLogLine(t, a.logs)
		if fix, _ := line["fix"].(string); line["auth0_code"] != "insufficient_scope" || !strings.Contains(fix, "delete:users") {
			t.Errorf("log line %v does not say which scope to grant", line)
		}
		if _, ok := a.srv.UserID(email); !ok {
			t.Fatal("the user was deleted")
		}
	})
	t.Run("Auth0 fails", func(t *testing.T) {
		a := newAccountAPI(t, auth0test.Config{})
		claims := a.login(email, goodPassword)
		a.srv.Fault("/api/v2/users/"+claims["sub"], auth0test.Fault{Status: 503, Body: `{"statusCode":503,"error":"Service Unavailable","message":"down"}`, Times: 1})
		resp, body := a.invoke(a.deleteMe, deleteEvent(claims, goodPassword))
		wantError(t, resp, body, http.StatusBadGateway, "upstream_error")
	})
	t.Run("Auth0 hangs", func(t *testing.T) {
		a := newAccountAPI(t, auth0test.Config{})
		claims := a.login(email, goodPassword)
		a.srv.Fault("/api/v2/users/"+claims["sub"], auth0test.Fault{Hang: true, Times: 1})
		resp, body := a.invokeWithin(time.Second, a.deleteMe, deleteEvent(claims, goodPassword))
		wantError(t, resp, body, http.StatusGatewayTimeout, "upstream_timeout")
	})
	t.Run("client secret unreadable", func(t *testing.T) {
		a := newAccountAPI(t, auth0test.Config{})
		claims := a.login(email, goodPassword)
		a.secret.set("", errBoom)
		resp, body := a.invoke(a.deleteMe, deleteEvent(claims, goodPassword))
		wantError(t, resp, body, http.StatusServiceUnavailable, "secret_unavailable")
	})
	t.Run("management credentials unreadable", func(t *testing.T) {
		a := newAccountAPI(t, auth0test.Config{})
		claims := a.login(email, goodPassword)
		a.creds.err = errBoom
		resp, body := a.invoke(a.deleteMe, deleteEvent(claims, goodPassword))
		wantError(t, resp, body, http.StatusServiceUnavailable, "secret_unavailable")
	})
	t.Run("MFA account", func(t *testing.T) {
		a := newAccountAPI(t, auth0test.Config{})
		claims := a.login(email, goodPassword)
		a.srv.RequireMFA(email)
		resp, body := a.invoke(a.deleteMe, deleteEvent(claims, goodPassword))
		wantError(t, resp, body, http.StatusForbidden, "access_denied")
		if _, ok := a.srv.UserID(email); !ok {
			t.Fatal("the user was deleted")
		}
	})
}

// A token whose sub is not the user the password opens deletes nothing,
// even with that user's right password.
func TestDeleteMeComparesTheSubject(t *testing.T) {
	a := newAccountAPI(t, auth0test.Config{})
	a.login(email, goodPassword)
	other := a.srv.AddUser("someone.else@example.com", "Other-Horse-42")
	m := &swappedUser{AccountManager: nil, email: email}
	h := NewDeleteMeHandler(auth0.NewClient(a.cfg, nil), a.secret, m, NewLogger(a.logs))
	resp, body := a.invoke(h, deleteEvent(map[string]string{"sub": other, "exp": "4102444800"}, goodPassword))
	wantError(t, resp, body, http.StatusUnauthorized, "invalid_credentials")
	if m.deleted {
		t.Fatal("deleted")
	}
}

// swappedUser answers GetUser with another user's email, as a tenant
// mixing up accounts would.
type swappedUser struct {
	AccountManager
	email   string
	deleted bool
}

func (s *swappedUser) GetUser(_ context.Context, id string) (auth0.User, error) {
	return auth0.User{ID: id, Email: s.email}, nil
}

func (s *swappedUser) DeleteUser(context.Context, string) error { s.deleted = true; return nil }

func TestVerificationEmail(t *testing.T) {
	a := newAccountAPI(t, auth0test.Config{})
	claims := a.login(email, goodPassword)

	resp, body := a.invoke(a.verifyEmail, verifyEvent(claims))
	if resp.StatusCode != http.StatusAccepted || body["message"] != verificationQueued {
		t.Fatalf("got %d %v", resp.StatusCode, body)
	}
	if msgs := a.srv.Messages(); len(msgs) != 1 || msgs[0].Kind != auth0test.MessageVerifyEmail || msgs[0].To != email {
		t.Fatalf("messages %+v", msgs)
	}
	if line := lastLogLine(t, a.logs); line["route"] != "POST /me/verification-email" || line["status"] != float64(202) || line["email"] != MaskEmail(email) {
		t.Errorf("log line %v", line)
	}

	// A verified address gets no email.
	a.srv.SetEmailVerified(email, true)
	resp, body = a.invoke(a.verifyEmail, verifyEvent(claims))
	if resp.StatusCode != http.StatusOK || body["message"] != alreadyVerified || len(a.srv.Messages()) != 1 {
		t.Fatalf("verified: %d %v, %d messages", resp.StatusCode, body, len(a.srv.Messages()))
	}

	// The token outlives the account it names.
	a.srv.DeleteUser(email)
	resp, body = a.invoke(a.verifyEmail, verifyEvent(claims))
	wantError(t, resp, body, http.StatusNotFound, "not_found")
}

func TestVerificationEmailFailures(t *testing.T) {
	t.Run("no update:users scope", func(t *testing.T) {
		a := newAccountAPI(t, auth0test.Config{M2M: auth0test.M2MClient{Scopes: []string{"read:users", "delete:users"}}})
		claims := a.login(email, goodPassword)
		resp, body := a.invoke(a.verifyEmail, verifyEvent(claims))
		wantError(t, resp, body, http.StatusInternalServerError, "server_misconfigured")
		if len(a.srv.Messages()) != 0 {
			t.Fatal("an email was sent")
		}
	})
	t.Run("rate limited", func(t *testing.T) {
		fixed := time.Now()
		a := newAccountAPI(t, auth0test.Config{ManagementRateLimit: 1, Clock: func() time.Time { return fixed }})
		claims := a.login(email, goodPassword)
		resp, body := a.invoke(a.verifyEmail, verifyEvent(claims))
		wantError(t, resp, body, http.StatusTooManyRequests, "rate_limited")
		if resp.Headers["Retry-After"] == "" {
			t.Error("no Retry-After")
		}
	})
	t.Run("management credentials rejected", func(t *testing.T) {
		a := newAccountAPI(t, auth0test.Config{})
		claims := a.login(email, goodPassword)
		a.creds.creds.Secret = "not-the-m2m-secret"
		resp, body := a.invoke(a.verifyEmail, verifyEvent(claims))
		wantError(t, resp, body, http.StatusInternalServerError, "server_misconfigured")
		if fix, _ := lastLogLine(t, a.logs)["fix"].(string); !strings.Contains(fix, "AUTH0_MANAGEMENT_SECRET_ARN") {
			t.Errorf("the fix %q does not name the Management secret", fix)
		}
	})
}
