package auth0

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
)

// staticCreds is a CredentialsSource that counts reads; Refresh switches
// to next when it is set.
type staticCreds struct {
	mu        sync.Mutex
	creds     ClientCredentials
	next      *ClientCredentials
	err       error
	gets      int
	refreshes int
}

func (s *staticCreds) Get(context.Context) (ClientCredentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gets++
	return s.creds, s.err
}

func (s *staticCreds) Refresh(context.Context) (ClientCredentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshes++
	if s.next != nil {
		s.creds, s.next = *s.next, nil
	}
	return s.creds, s.err
}

// newTestManagement is a Management for srv's tenant with its M2M
// application's credentials.
func newTestManagement(t *testing.T, srv *auth0test.Server) (*Management, *staticCreds) {
	t.Helper()
	c := srv.Config()
	client := NewClient(Config{BaseURL: srv.URL, ClientID: c.ClientID, Audience: c.Audience, Connection: c.Connection, Scope: "openid"}, nil)
	creds := &staticCreds{creds: ClientCredentials{ID: c.M2M.ID, Secret: c.M2M.Secret}}
	return NewManagement(client, creds), creds
}

func newServer(t *testing.T, cfg auth0test.Config) *auth0test.Server {
	t.Helper()
	srv := auth0test.NewServer(cfg)
	t.Cleanup(srv.Close)
	return srv
}

// requestsTo counts the requests srv received for method and path.
func requestsTo(srv *auth0test.Server, method, path string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *auth0.Error", err, err)
	}
	return e
}

func TestManagementGetsSendsAndDeletes(t *testing.T) {
	srv := newServer(t, auth0test.Config{})
	id := srv.AddUser("jane@example.com", "Correct-Horse-42")
	m, _ := newTestManagement(t, srv)
	ctx := context.Background()

	u, err := m.GetUser(ctx, id)
	if err != nil || u != (User{ID: id, Email: "jane@example.com", EmailVerified: false}) {
		t.Fatalf("GetUser = %+v, %v", u, err)
	}
	job, err := m.SendVerificationEmail(ctx, id)
	if err != nil || job.ID == "" || job.Status != "pending" || job.Type != "verification_email" {
		t.Fatalf("SendVerificationEmail = %+v, %v", job, err)
	}
	if msgs := srv.Messages(); len(msgs) != 1 || msgs[0].Kind != auth0test.MessageVerifyEmail || msgs[0].To != "jane@example.com" {
		t.Fatalf("messages %+v", msgs)
	}
	for _, r := range srv.Requests() {
		if r.Path == "/api/v2/jobs/verification-email" && (r.JSON["user_id"] != id || r.JSON["client_id"] != srv.Config().ClientID) {
			t.Errorf("verification job body %v, want the user and the application's client id", r.JSON)
		}
	}
	if err := m.DeleteUser(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, ok := srv.UserID("jane@example.com"); ok {
		t.Fatal("the user still exists")
	}
	// Deleting again is 204 again: retries are safe.
	if err := m.DeleteUser(ctx, id); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	_, err = m.GetUser(ctx, id)
	if e := asError(t, err); e.Kind != KindNotFound || e.Code != "inexistent_user" || e.Status != 404 {
		t.Fatalf("GetUser of a deleted user: %v", err)
	}
	if n := requestsTo(srv, "POST", "/oauth/token"); n != 1 {
		t.Errorf("%d token requests for 5 calls, want 1 (cached)", n)
	}
}

// recordingTransport keeps the escaped path of every request.
type recordingTransport struct {
	mu    sync.Mutex
	paths []string
}

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.paths = append(r.paths, req.URL.EscapedPath())
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func TestManagementEncodesTheUserID(t *testing.T) {
	srv := newServer(t, auth0test.Config{})
	id := srv.AddUser("jane@example.com", "Correct-Horse-42")
	c := srv.Config()
	rt := &recordingTransport{}
	client := NewClient(Config{BaseURL: srv.URL, ClientID: c.ClientID}, &http.Client{Transport: rt})
	m := NewManagement(client, &staticCreds{creds: ClientCredentials{ID: c.M2M.ID, Secret: c.M2M.Secret}})
	if _, err := m.GetUser(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if err := m.DeleteUser(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	want := "/api/v2/users/auth0%7C" + strings.TrimPrefix(id, "auth0|")
	if len(rt.paths) != 3 || rt.paths[1] != want || rt.paths[2] != want {
		t.Fatalf("paths %v, want the token request then %s twice", rt.paths, want)
	}
	// An empty id must never reach Auth0: "users/" lists every user.
	if _, err := m.GetUser(context.Background(), ""); err == nil || len(rt.paths) != 3 {
		t.Fatalf("GetUser(\"\") = %v after %d requests", err, len(rt.paths))
	}
}

func TestManagementFetchesOneTokenForConcurrentCallers(t *testing.T) {
	srv := newServer(t, auth0test.Config{})
	id := srv.AddUser("jane@example.com", "Correct-Horse-42")
	m, creds := newTestManagement(t, srv)
	// The first token answer is slow, so every caller arrives while it is
	// being fetched.
	srv.Fault("/oauth/token", auth0test.Fault{Delay: 100 * time.Millisecond, Times: 1})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := m.GetUser(context.Background(), id)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := requestsTo(srv, "POST", "/oauth/token"); n != 1 || creds.gets != 1 {
		t.Fatalf("%d token requests, %d credential reads for 8 concurrent calls, want 1 and 1", n, creds.gets)
	}
}

func TestManagementRenewsTheTokenBeforeItExpires(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	srv := newServer(t, auth0test.Config{TokenTTL: 10 * time.Minute, Clock: clock})
	id := srv.AddUser("jane@example.com", "Correct-Horse-42")
	m, _ := newTestManagement(t, srv)
	m.now = clock

	get := func() {
		t.Helper()
		if _, err := m.GetUser(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	get()
	advance(4 * time.Minute) // 6 minutes left: kept
	get()
	if n := requestsTo(srv, "POST", "/oauth/token"); n != 1 {
		t.Fatalf("%d token requests with 6 of 10 minutes left, want 1", n)
	}
	advance(2 * time.Minute) // 4 minutes left: within the 5-minute margin
	get()
	if n := requestsTo(srv, "POST", "/oauth/token"); n != 2 {
		t.Fatalf("%d token requests with 4 of 10 minutes left, want 2", n)
	}
}

func TestManagementRefetchesTheTokenOnceOn401(t *testing.T) {
	srv := newServer(t, auth0test.Config{})
	id := srv.AddUser("jane@example.com", "Correct-Horse-42")
	m, _ := newTestManagement(t, srv)
	if _, err := m.GetUser(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	// Two rotations retire the key that signed the cached token: the
	// Management API now refuses it with 401.
	srv.RotateSigningKey()
	srv.RotateSigningKey()
	if _, err := m.GetUser(context.Background(), id); err != nil {
		t.Fatalf("after the key rotation: %v", err)
	}
	if n := requestsTo(srv, "POST", "/oauth/token"); n != 2 {
		t.Fatalf("%d token requests, want 2", n)
	}

	// A 401 that a new token does not cure: one retry, then the error.
	srv.ResetRequests()
	path := "/api/v2/users/" + id
	srv.Fault(path, auth0test.Fault{Status: 401, Body: `{"statusCode":401,"error":"Unauthorized","message":"Invalid token"}`})
	_, err := m.GetUser(context.Background(), id)
	if e := asError(t, err); e.Kind != KindClientRejected || e.Status != 401 || !strings.Contains(e.Hint(), "AUTH0_TOKEN_ISSUER") {
		t.Fatalf("persistent 401: %v (hint %q)", err, e.Hint())
	}
	if tokens, calls := requestsTo(srv, "POST", "/oauth/token"), requestsTo(srv, "GET", path); tokens != 1 || calls != 2 {
		t.Fatalf("%d token requests and %d calls, want 1 and 2", tokens, calls)
	}
}

func TestManagementScopesAndGrants(t *testing.T) {
	t.Run("insufficient scope", func(t *testing.T) {
		srv := newServer(t, auth0test.Config{M2M: auth0test.M2MClient{Scopes: []string{"read:users"}}})
		id := srv.AddUser("jane@example.com", "Correct-Horse-42")
		m, _ := newTestManagement(t, srv)
		err := m.DeleteUser(context.Background(), id)
		e := asError(t, err)
		if e.Kind != KindMisconfigured || e.Code != "insufficient_scope" || e.Status != 403 {
			t.Fatalf("err = %v", err)
		}
		if h := e.Hint(); !strings.Contains(h, "delete:users") || !strings.Contains(h, "AUTH0_MANAGEMENT_SECRET_ARN") {
			t.Errorf("hint %q does not name the scope and the secret", h)
		}
		if _, ok := srv.UserID("jane@example.com"); !ok {
			t.Fatal("the user was deleted")
		}
	})
	t.Run("no client grant", func(t *testing.T) {
		srv := newServer(t, auth0test.Config{M2M: auth0test.M2MClient{Scopes: []string{}}})
		m, _ := newTestManagement(t, srv)
		_, err := m.GetUser(context.Background(), "auth0|abc")
		e := asError(t, err)
		if e.Kind != KindMisconfigured || e.Code != "access_denied" || !strings.Contains(e.Hint(), "authorize") {
			t.Fatalf("err = %v, hint %q", err, e.Hint())
		}
	})
}

func TestManagementRereadsRotatedCredentialsOnce(t *testing.T) {
	srv := newServer(t, auth0test.Config{})
	id := srv.AddUser("jane@example.com", "Correct-Horse-42")
	m, creds := newTestManagement(t, srv)
	good := creds.creds
	creds.creds.Secret = "an-old-rotated-secret"
	creds.next = &good
	if _, err := m.GetUser(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if creds.refreshes != 1 || requestsTo(srv, "POST", "/oauth/token") != 2 {
		t.Fatalf("%d refreshes, %d token requests; want 1 and 2", creds.refreshes, requestsTo(srv, "POST", "/oauth/token"))
	}

	// Still wrong after the re-read: KindClientRejected, with the secret's
	// name in the hint and never its value in the error.
	m2, creds2 := newTestManagement(t, srv)
	creds2.creds.Secret = "still-a-wrong-secret"
	_, err := m2.GetUser(context.Background(), id)
	e := asError(t, err)
	if e.Kind != KindClientRejected || creds2.refreshes != 1 || !strings.Contains(e.Hint(), "AUTH0_MANAGEMENT_SECRET_ARN") {
		t.Fatalf("err = %v, %d refreshes, hint %q", err, creds2.refreshes, e.Hint())
	}
	if strings.Contains(err.Error(), "still-a-wrong-secret") {
		t.Fatalf("the secret is in the error: %v", err)
	}

	// A failure to read the credentials is returned as it is.
	m3, creds3 := newTestManagement(t, srv)
	creds3.err = errors.New("secret unreadable")
	if _, err := m3.GetUser(context.Background(), id); !errors.Is(err, creds3.err) {
		t.Fatalf("err = %v, want the source's", err)
	}
}

func TestManagementRateLimit(t *testing.T) {
	fixed := time.Now()
	srv := newServer(t, auth0test.Config{ManagementRateLimit: 1, Clock: func() time.Time { return fixed }})
	id := srv.AddUser("jane@example.com", "Correct-Horse-42")
	m, _ := newTestManagement(t, srv)
	if _, err := m.GetUser(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	err := m.DeleteUser(context.Background(), id) // same second: over the limit
	e := asError(t, err)
	if e.Kind != KindRateLimited || e.Status != 429 || e.RetryAfter < time.Second {
		t.Fatalf("err = %v, retry after %v", err, e.RetryAfter)
	}
	if _, ok := srv.UserID("jane@example.com"); !ok {
		t.Fatal("the user was deleted")
	}
}

func TestManagementTimeoutAndUpstream(t *testing.T) {
	srv := newServer(t, auth0test.Config{})
	id := srv.AddUser("jane@example.com", "Correct-Horse-42")
	m, _ := newTestManagement(t, srv)
	path := "/api/v2/users/" + id

	srv.Fault(path, auth0test.Fault{Hang: true, Times: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if e := asError(t, m.DeleteUser(ctx, id)); e.Kind != KindTimeout {
		t.Fatalf("hanging Auth0: %v", e)
	}
	srv.Fault(path, auth0test.Fault{Status: 503, Body: "<html>busy</html>", Times: 1})
	if e := asError(t, m.DeleteUser(context.Background(), id)); e.Kind != KindUpstream || e.Status != 503 {
		t.Fatalf("503: %v", e)
	}
	srv.Fault(path, auth0test.Fault{Drop: true, Times: 1})
	if e := asError(t, m.DeleteUser(context.Background(), id)); e.Kind != KindUpstream {
		t.Fatalf("dropped connection: %v", e)
	}
}

// The token and the secret are never in an error, even when Auth0's
// answer quotes them.
func TestManagementErrorsNeverCarryCredentials(t *testing.T) {
	const token, secret = "tok-eyJhbGciOi-not-a-real-one", "m2m-secret-value-42"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/oauth/token":
			if r.FormValue("client_secret") != secret {
				w.WriteHeader(403)
				w.Write([]byte(`{"error":"access_denied","error_description":"bad secret ` + r.FormValue("client_secret") + `"}`))
				return
			}
			w.Write([]byte(`{"access_token":"` + token + `","token_type":"Bearer","expires_in":86400}`))
		default:
			w.WriteHeader(403)
			w.Write([]byte(`{"statusCode":403,"error":"Forbidden","message":"token ` + r.Header.Get("Authorization") + ` refused","errorCode":"insufficient_scope"}`))
		}
	}))
	defer srv.Close()
	client := NewClient(Config{BaseURL: srv.URL, ClientID: "cid"}, nil)
	m := NewManagement(client, &staticCreds{creds: ClientCredentials{ID: "m2m", Secret: secret}})
	_, err := m.GetUser(context.Background(), "auth0|abc")
	if err == nil || strings.Contains(err.Error(), token) || strings.Contains(asError(t, err).Hint(), token) {
		t.Fatalf("err = %v", err)
	}
	m = NewManagement(client, &staticCreds{creds: ClientCredentials{ID: "m2m", Secret: "wrong-secret-value"}})
	_, err = m.GetUser(context.Background(), "auth0|abc")
	if err == nil || strings.Contains(err.Error(), "wrong-secret-value") {
		t.Fatalf("err = %v", err)
	}
}

func TestIsMachineToken(t *testing.T) {
	for _, c := range []struct {
		sub  string
		gty  []string
		want bool
	}{
		{"auth0|65f1c0ffee", []string{"password"}, false},
		{"auth0|65f1c0ffee", nil, false},
		{"auth0|65f1c0ffee", []string{"refresh_token", "password"}, false},
		{"abc@clients", []string{"client-credentials"}, true},
		{"abc@clients", nil, true},
		{"auth0|65f1c0ffee", []string{"client-credentials"}, true},
		{"google-oauth2|1234", []string{"password"}, false},
	} {
		if got := IsMachineToken(c.sub, c.gty...); got != c.want {
			t.Errorf("IsMachineToken(%q, %q) = %v", c.sub, c.gty, got)
		}
	}
}

func TestTokenSubject(t *testing.T) {
	srv := newServer(t, auth0test.Config{})
	id := srv.AddUser("jane@example.com", "Correct-Horse-42")
	c := srv.Config()
	client := NewClient(Config{BaseURL: srv.URL, ClientID: c.ClientID, Audience: c.Audience, Connection: c.Connection, Scope: "openid"}, nil)
	tok, err := client.Token(context.Background(), TokenRequest{Username: "jane@example.com", Password: "Correct-Horse-42", ClientSecret: c.ClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Subject(); got != id {
		t.Fatalf("Subject() = %q, want %q", got, id)
	}
	for _, opaque := range []string{"", "opaque", "a.b", "a.!!!.c", "a.bm90IGpzb24.c"} {
		if got := (Token{AccessToken: opaque}).Subject(); got != "" {
			t.Errorf("Subject of %q = %q", opaque, got)
		}
	}
}
