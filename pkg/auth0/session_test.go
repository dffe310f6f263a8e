package auth0

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
)

// tenant is a client for an auth0test tenant with one user, asking for
// offline_access.
func tenant(t *testing.T, cfg auth0test.Config) (*Client, *auth0test.Server, string) {
	t.Helper()
	srv := auth0test.NewServer(cfg)
	t.Cleanup(srv.Close)
	c := srv.Config()
	client := NewClient(Config{BaseURL: srv.URL, ClientID: c.ClientID, Audience: c.Audience,
		Connection: c.Connection, Scope: "openid offline_access"}, nil)
	client.retryDelay = func() time.Duration { return time.Millisecond }
	srv.AddUser("ada@example.com", "Corr3ct-Horse")
	return client, srv, c.ClientSecret
}

func login(t *testing.T, c *Client, secret string) Token {
	t.Helper()
	tok, err := c.Token(context.Background(), TokenRequest{Username: "ada@example.com", Password: "Corr3ct-Horse", ClientSecret: secret})
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("login: %+v %v", tok, err)
	}
	return tok
}

func countPath(srv *auth0test.Server, path string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Path == path {
			n++
		}
	}
	return n
}

func TestRefreshTokenGrantRotatesAndDetectsReuse(t *testing.T) {
	c, srv, secret := tenant(t, auth0test.Config{})
	first := login(t, c, secret).RefreshToken
	ctx := context.Background()

	next, err := c.Token(ctx, TokenRequest{Grant: RefreshTokenGrant, RefreshToken: first, ClientSecret: secret, ClientIP: "203.0.113.7"})
	if err != nil || next.AccessToken == "" || next.RefreshToken == "" || next.RefreshToken == first {
		t.Fatalf("refresh: %+v %v", next, err)
	}
	last := srv.Requests()[len(srv.Requests())-1]
	if last.Form.Get("grant_type") != "refresh_token" || last.Form.Get("refresh_token") != auth0test.Redacted(first) ||
		last.Form.Get("client_id") != srv.Config().ClientID || last.Form.Has("scope") || last.Form.Has("username") ||
		last.Header.Get("Auth0-Forwarded-For") != "203.0.113.7" {
		t.Fatalf("sent %v %v", last.Form, last.Header)
	}

	for _, rt := range []string{first, next.RefreshToken} {
		_, err = c.Token(ctx, TokenRequest{Grant: RefreshTokenGrant, RefreshToken: rt, ClientSecret: secret})
		if kindOf(t, err) != KindSessionExpired {
			t.Fatalf("reuse: %v, want session_expired", err)
		}
	}
}

func TestRefreshOfADeletedUserIsSessionExpired(t *testing.T) {
	c, srv, secret := tenant(t, auth0test.Config{})
	rt := login(t, c, secret).RefreshToken
	srv.DeleteUser("ada@example.com")
	_, err := c.Token(context.Background(), TokenRequest{Grant: RefreshTokenGrant, RefreshToken: rt, ClientSecret: secret})
	if kindOf(t, err) != KindSessionExpired {
		t.Fatalf("%v, want session_expired", err)
	}
}

func TestOnlyThePasswordGrantIsRetried(t *testing.T) {
	c, srv, secret := tenant(t, auth0test.Config{})
	rt := login(t, c, secret).RefreshToken
	code := srv.IssueCode(auth0test.CodeGrant{Email: "ada@example.com", RedirectURI: "https://app.example/cb"})
	for _, tr := range []TokenRequest{
		{Grant: RefreshTokenGrant, RefreshToken: rt, ClientSecret: secret},
		{Grant: AuthorizationCodeGrant, Code: code, RedirectURI: "https://app.example/cb", ClientSecret: secret},
	} {
		for _, f := range []auth0test.Fault{{Status: 503, Body: "unavailable", Times: 1}, {Drop: true, Times: 1}} {
			before := countPath(srv, "/oauth/token")
			srv.Fault("/oauth/token", f)
			_, err := c.Token(context.Background(), tr)
			if kindOf(t, err) != KindUpstream {
				t.Fatalf("%s: %v", tr.Grant, err)
			}
			if n := countPath(srv, "/oauth/token") - before; n != 1 {
				t.Fatalf("%s sent %d times after %+v, want 1", tr.Grant, n, f)
			}
		}
	}
	before := countPath(srv, "/oauth/token")
	srv.Fault("/oauth/token", auth0test.Fault{Status: 503, Body: "unavailable", Times: 1})
	if _, err := c.Token(context.Background(), TokenRequest{Username: "ada@example.com", Password: "Corr3ct-Horse", ClientSecret: secret}); err != nil {
		t.Fatal(err)
	}
	if n := countPath(srv, "/oauth/token") - before; n != 2 {
		t.Fatalf("password grant sent %d times, want 2", n)
	}
}

func TestAuthorizationCodeGrantWithPKCE(t *testing.T) {
	c, srv, secret := tenant(t, auth0test.Config{})
	verifier := strings.Repeat("k", 50)
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	grant := auth0test.CodeGrant{Email: "ada@example.com", RedirectURI: "myapp://cb", CodeChallenge: challenge, Scope: "openid offline_access"}
	ctx := context.Background()

	code := srv.IssueCode(grant)
	tr := TokenRequest{Grant: AuthorizationCodeGrant, Code: code, RedirectURI: "myapp://cb", CodeVerifier: verifier, ClientSecret: secret}
	tok, err := c.Token(ctx, tr)
	if err != nil || tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("%+v %v", tok, err)
	}
	last := srv.Requests()[len(srv.Requests())-1]
	if last.Form.Get("redirect_uri") != "myapp://cb" || last.Form.Get("code_verifier") != auth0test.Redacted(verifier) || last.Form.Has("realm") {
		t.Fatalf("sent %v", last.Form)
	}
	if _, err := c.Token(ctx, tr); kindOf(t, err) != KindInvalidGrant {
		t.Fatalf("reused code: %v", err)
	}
	tr.Code, tr.CodeVerifier = srv.IssueCode(grant), strings.Repeat("x", 50)
	if _, err := c.Token(ctx, tr); kindOf(t, err) != KindInvalidGrant {
		t.Fatalf("wrong verifier: %v", err)
	}
}

func TestRevoke(t *testing.T) {
	c, srv, secret := tenant(t, auth0test.Config{})
	rt := login(t, c, secret).RefreshToken
	ctx := context.Background()
	for _, token := range []string{rt, rt, "v1.never-issued"} {
		if err := c.Revoke(ctx, token, secret); err != nil {
			t.Fatalf("revoke: %v", err)
		}
	}
	if n := srv.RefreshTokens("ada@example.com"); n != 0 {
		t.Fatalf("%d families left", n)
	}
	last := srv.Requests()[len(srv.Requests())-1]
	if last.Path != "/oauth/revoke" || last.Form.Get("token") != auth0test.Redacted("v1.never-issued") ||
		last.Form.Get("client_secret") != auth0test.Redacted(secret) {
		t.Fatalf("sent %s %v", last.Path, last.Form)
	}
	if err := c.Revoke(ctx, rt, "wrong-secret"); kindOf(t, err) != KindClientRejected {
		t.Fatalf("wrong secret: %v", err)
	}
	srv.Fault("/oauth/revoke", auth0test.Fault{Status: 503, Body: "unavailable"})
	before := countPath(srv, "/oauth/revoke")
	if err := c.Revoke(ctx, rt, secret); kindOf(t, err) != KindUpstream || countPath(srv, "/oauth/revoke")-before != 1 {
		t.Fatalf("503: %v", err)
	}
}

func TestChangePassword(t *testing.T) {
	c, srv, _ := tenant(t, auth0test.Config{})
	ctx := context.Background()
	for _, email := range []string{"ada@example.com", "nobody@example.com"} {
		if err := c.ChangePassword(ctx, email); err != nil {
			t.Fatalf("%s: %v", email, err)
		}
	}
	if msgs := srv.Messages(); len(msgs) != 1 || msgs[0].To != "ada@example.com" || msgs[0].Kind != auth0test.MessagePasswordReset {
		t.Fatalf("messages %+v", msgs)
	}
	last := srv.Requests()[len(srv.Requests())-1]
	if last.JSON["email"] != "nobody@example.com" || last.JSON["connection"] != srv.Config().Connection ||
		last.JSON["client_id"] != srv.Config().ClientID || last.JSON["client_secret"] != nil {
		t.Fatalf("sent %v", last.JSON)
	}

	srv.Fault("/dbconnections/change_password", auth0test.Fault{Status: 429, Body: `{"error":"too_many_requests"}`,
		Header: http.Header{"Retry-After": {"30"}}})
	err := c.ChangePassword(ctx, "ada@example.com")
	var e *Error
	if kindOf(t, err) != KindRateLimited || !errors.As(err, &e) || e.RetryAfter != 30*time.Second {
		t.Fatalf("429: %v", err)
	}
	srv.ClearFaults()
	bad := NewClient(Config{BaseURL: srv.URL, ClientID: srv.Config().ClientID, Connection: "nope"}, nil)
	if err := bad.ChangePassword(ctx, "ada@example.com"); kindOf(t, err) != KindMisconfigured {
		t.Fatalf("unknown connection: %v", err)
	}
}

func TestClassifyTokenByGrant(t *testing.T) {
	cases := []struct {
		grant  string
		status int
		body   string
		kind   Kind
	}{
		{RefreshTokenGrant, 403, `{"error":"invalid_grant","error_description":"Unknown or invalid refresh token."}`, KindSessionExpired},
		{RefreshTokenGrant, 401, `{"error":"invalid_grant","error_description":"Unknown or invalid refresh token."}`, KindSessionExpired},
		{RefreshTokenGrant, 403, `{"error":"invalid_grant","error_description":"The refresh_token was generated for a user who doesn't exist anymore."}`, KindSessionExpired},
		{RefreshTokenGrant, 403, `{"error":"access_denied","error_description":"Unknown or invalid refresh token"}`, KindSessionExpired},
		{RefreshTokenGrant, 403, `{"error":"access_denied","error_description":"Only staff"}`, KindAccessDenied},
		{RefreshTokenGrant, 401, `{"error":"unauthorized","error_description":"user is blocked"}`, KindAccessDenied},
		{RefreshTokenGrant, 401, `{"error":"access_denied","error_description":"Unauthorized"}`, KindClientRejected},
		{RefreshTokenGrant, 403, `{"error":"unauthorized_client","error_description":"Grant type 'refresh_token' not allowed for the client."}`, KindMisconfigured},
		{AuthorizationCodeGrant, 403, `{"error":"invalid_grant","error_description":"Invalid authorization code"}`, KindInvalidGrant},
		{AuthorizationCodeGrant, 403, `{"error":"invalid_grant","error_description":"Failed to verify code verifier"}`, KindInvalidGrant},
		{AuthorizationCodeGrant, 403, `{"error":"invalid_grant","error_description":"user is blocked"}`, KindAccessDenied},
		{PasswordRealmGrant, 403, `{"error":"invalid_grant","error_description":"Wrong email or password."}`, KindInvalidCredentials},
	}
	for _, c := range cases {
		e := parseError(c.status, http.Header{}, []byte(c.body), func(e *Error) { classifyToken(e, c.grant) })
		if e.Kind != c.kind {
			t.Errorf("%s %d %s: %v, want %v", c.grant, c.status, c.body, e.Kind, c.kind)
		}
	}
	e := parseError(403, http.Header{}, []byte(`{"error":"unauthorized_client","error_description":"Grant type 'refresh_token' not allowed for the client."}`),
		func(e *Error) { classifyToken(e, RefreshTokenGrant) })
	if !strings.Contains(e.Hint(), "Refresh Token grant") {
		t.Errorf("hint %q", e.Hint())
	}
}

// An answer that echoes what we sent keeps none of it.
func TestErrorTextRedactsTheCredentialsSent(t *testing.T) {
	const rt, secret = "v1.refresh-token-value-123", "client-secret-value-456"
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(403)
		w.Write([]byte(`{"error":"access_denied","error_description":"token v1.refresh-token-value-123 with client-secret-value-456 denied"}`))
	})
	_, err := c.Token(context.Background(), TokenRequest{Grant: RefreshTokenGrant, RefreshToken: rt, ClientSecret: secret})
	if err == nil || strings.Contains(err.Error(), rt) || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "[redacted]") {
		t.Fatalf("error text %q", err)
	}
	if err := c.Revoke(context.Background(), rt, secret); err == nil || strings.Contains(err.Error(), rt) || strings.Contains(err.Error(), secret) {
		t.Fatalf("revoke error text %q", err)
	}
}

func TestUnknownGrantIsRefusedBeforeSending(t *testing.T) {
	c, calls := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {})
	if _, err := c.Token(context.Background(), TokenRequest{Grant: "client_credentials"}); err == nil || calls.Load() != 0 {
		t.Fatalf("err %v, %d calls", err, calls.Load())
	}
}
