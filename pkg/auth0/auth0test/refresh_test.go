package auth0test_test

import (
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
)

func TestRefreshTokenOnlyWithOfflineAccess(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	s.AddUser("u@example.com", goodPass)
	if tok := login(t, s, "u@example.com", "openid email").ok(t); tok.RefreshToken != "" {
		t.Errorf("refresh token without offline_access: %+v", tok)
	}
	if tok := login(t, s, "u@example.com", "openid offline_access").ok(t); tok.RefreshToken == "" || tok.Scope != "openid offline_access" {
		t.Errorf("with offline_access: %+v", tok)
	}
	if n := s.RefreshTokens("u@example.com"); n != 1 {
		t.Errorf("RefreshTokens = %d, want 1", n)
	}
}

func TestDenyOfflineAccessDropsItSilently(t *testing.T) {
	s := newServer(t, auth0test.Config{DenyOfflineAccess: true})
	s.AddUser("u@example.com", goodPass)
	tok := login(t, s, "u@example.com", "openid offline_access email").ok(t)
	if tok.RefreshToken != "" || tok.Scope != "openid email" {
		t.Errorf("answer %+v, want no refresh token and scope without offline_access", tok)
	}
	if c := claimsOf(t, tok.AccessToken); c["scope"] != "openid email" {
		t.Errorf("access token scope %v", c["scope"])
	}
}

func TestRefreshRotatesAndReuseRevokesTheFamily(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	sub := s.AddUser("u@example.com", goodPass)
	first := login(t, s, "u@example.com", "openid offline_access").ok(t)
	other := login(t, s, "u@example.com", "offline_access").ok(t) // a second device

	r1 := refresh(t, s, first.RefreshToken).ok(t)
	if r1.RefreshToken == "" || r1.RefreshToken == first.RefreshToken || r1.IDToken == "" || r1.Scope != "openid offline_access" {
		t.Fatalf("rotation: %+v", r1)
	}
	_, keys := fetchJWKS(t, s)
	_, c := verify(t, r1.AccessToken, keys)
	if c["sub"] != sub || !reflect.DeepEqual(c["gty"], []any{"refresh_token", "password"}) || c["scope"] != "openid offline_access" {
		t.Errorf("refreshed access token claims %v", c)
	}
	r2 := refresh(t, s, r1.RefreshToken).ok(t)

	// Replaying the first token revokes the family, r2 included.
	refresh(t, s, first.RefreshToken).is(t, 403, badRefreshToken)
	refresh(t, s, r2.RefreshToken).is(t, 403, badRefreshToken)
	refresh(t, s, r1.RefreshToken).is(t, 403, badRefreshToken)
	// The other login's family is untouched.
	refresh(t, s, other.RefreshToken).ok(t)
	if n := s.RefreshTokens("u@example.com"); n != 1 {
		t.Errorf("RefreshTokens = %d after the reuse, want 1", n)
	}
}

func TestRefreshNonRotating(t *testing.T) {
	s := newServer(t, auth0test.Config{NonRotatingRefreshTokens: true})
	s.AddUser("u@example.com", goodPass)
	rt := login(t, s, "u@example.com", "offline_access").ok(t).RefreshToken
	for range 3 {
		if tok := refresh(t, s, rt).ok(t); tok.RefreshToken != "" || tok.IDToken != "" {
			t.Fatalf("non-rotating answer carries tokens it should not: %+v", tok)
		}
	}
}

func TestRefreshRotationLeewayForks(t *testing.T) {
	clock := newClock()
	s := newServer(t, auth0test.Config{RotationLeeway: 10 * time.Second, Clock: clock.Now})
	s.AddUser("u@example.com", goodPass)
	rt0 := login(t, s, "u@example.com", "offline_access").ok(t).RefreshToken
	rt1 := refresh(t, s, rt0).ok(t).RefreshToken

	// A retry of rt0 inside the overlap period gets its own new token; both
	// branches live.
	clock.Add(10 * time.Second)
	fork := refresh(t, s, rt0).ok(t).RefreshToken
	if fork == rt1 || fork == "" {
		t.Fatalf("fork %q, rt1 %q", fork, rt1)
	}
	rt2 := refresh(t, s, rt1).ok(t).RefreshToken
	// rt0 is now second-to-last: reuse, whatever the time.
	refresh(t, s, rt0).is(t, 403, badRefreshToken)
	refresh(t, s, rt2).is(t, 403, badRefreshToken)
	refresh(t, s, fork).is(t, 403, badRefreshToken)

	// Past the overlap period, even the previous token is reuse.
	a := login(t, s, "u@example.com", "offline_access").ok(t).RefreshToken
	b := refresh(t, s, a).ok(t).RefreshToken
	clock.Add(11 * time.Second)
	refresh(t, s, a).is(t, 403, badRefreshToken)
	refresh(t, s, b).is(t, 403, badRefreshToken)
}

func TestRefreshErrors(t *testing.T) {
	clock := newClock()
	s := newServer(t, auth0test.Config{Clock: clock.Now, RefreshTokenLifetime: time.Hour})
	s.AddUser("u@example.com", goodPass)
	s.AddUser("gone@example.com", goodPass)
	rt := login(t, s, "u@example.com", "offline_access").ok(t).RefreshToken
	goneRT := login(t, s, "gone@example.com", "offline_access").ok(t).RefreshToken

	refresh(t, s, "v1.unknown").is(t, 403, badRefreshToken)
	postToken(t, s, appForm(s, "grant_type", "refresh_token"), nil).is(t, 400,
		`{"error":"invalid_request","error_description":"Missing required parameter: refresh_token"}`)
	f := appForm(s, "grant_type", "refresh_token", "refresh_token", rt)
	f.Set("client_secret", "wrong")
	postToken(t, s, f, nil).is(t, 401, `{"error":"access_denied","error_description":"Unauthorized"}`)
	m2m := s.Config().M2M
	postToken(t, s, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt},
		"client_id": {m2m.ID}, "client_secret": {m2m.Secret}}, nil).is(t, 403,
		`{"error":"unauthorized_client","error_description":"Grant type 'refresh_token' not allowed for the client."}`)

	s.DeleteUser("gone@example.com")
	for range 2 { // a retry gets the same answer
		refresh(t, s, goneRT).is(t, 403,
			`{"error":"invalid_grant","error_description":"The refresh_token was generated for a user who doesn't exist anymore."}`)
	}

	// The lifetime is absolute: rotation does not extend it.
	clock.Add(59 * time.Minute)
	rt = refresh(t, s, rt).ok(t).RefreshToken
	clock.Add(time.Minute)
	refresh(t, s, rt).is(t, 403, badRefreshToken)
}

func TestRefreshReducedScope(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	s.AddUser("u@example.com", goodPass)
	rt := login(t, s, "u@example.com", "openid email offline_access").ok(t).RefreshToken
	// Scopes beyond the login's are dropped; offline_access stays.
	tok := refresh(t, s, rt, "scope", "email read:admin").ok(t)
	if tok.Scope != "email offline_access" || tok.IDToken != "" {
		t.Errorf("reduced: %+v", tok)
	}
	// The family keeps the login's scope for the next refresh.
	if tok = refresh(t, s, tok.RefreshToken).ok(t); tok.Scope != "openid email offline_access" || tok.IDToken == "" {
		t.Errorf("full again: %+v", tok)
	}
}

func TestRefreshAcceptsJSON(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	s.AddUser("u@example.com", goodPass)
	rt := login(t, s, "u@example.com", "offline_access").ok(t).RefreshToken
	postJSON(t, s, "/oauth/token", appJSON(s, "grant_type", "refresh_token", "refresh_token", rt), nil).ok(t)
}

func TestRefreshFamiliesPerUserAreCapped(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	s.AddUser("u@example.com", goodPass)
	first := login(t, s, "u@example.com", "offline_access").ok(t).RefreshToken
	for range 200 {
		login(t, s, "u@example.com", "offline_access").ok(t)
	}
	if n := s.RefreshTokens("u@example.com"); n != 200 {
		t.Errorf("RefreshTokens = %d, want Auth0's limit 200", n)
	}
	refresh(t, s, first).is(t, 403, badRefreshToken) // the oldest went
}

// --- /oauth/revoke ---

func revoke(t *testing.T, s *auth0test.Server, token string) answer {
	t.Helper()
	return postJSON(t, s, "/oauth/revoke", appJSON(s, "token", token), nil)
}

func TestRevokeIsIdempotentAndRevokesOneFamily(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	s.AddUser("u@example.com", goodPass)
	rt := login(t, s, "u@example.com", "offline_access").ok(t).RefreshToken
	other := login(t, s, "u@example.com", "offline_access").ok(t).RefreshToken
	rotated := refresh(t, s, rt).ok(t).RefreshToken

	for _, tok := range []string{rotated, rotated, "v1.never-issued"} {
		a := revoke(t, s, tok)
		if a.status != 200 || len(a.body) != 0 || a.header.Get("Content-Type") != "application/json" {
			t.Errorf("revoke: %d %q %q", a.status, a.header.Get("Content-Type"), a.body)
		}
	}
	refresh(t, s, rotated).is(t, 403, badRefreshToken)
	refresh(t, s, rt).is(t, 403, badRefreshToken)   // the family, not only the token
	other = refresh(t, s, other).ok(t).RefreshToken // another device stays logged in

	// Form posts too; errors for what Auth0 validates.
	if a := mustDo(t, "POST", s.URL+"/oauth/revoke", "application/x-www-form-urlencoded", appForm(s, "token", "x").Encode(), nil); a.status != 200 {
		t.Errorf("form revoke: %d", a.status)
	}
	postJSON(t, s, "/oauth/revoke", appJSON(s), nil).is(t, 400,
		`{"error":"invalid_request","error_description":"Missing required parameter: token"}`)
	bad := appJSON(s, "token", other)
	bad["client_secret"] = "wrong"
	postJSON(t, s, "/oauth/revoke", bad, nil).is(t, 401,
		`{"error":"invalid_client","error_description":"Client authentication failed."}`)
	refresh(t, s, other).ok(t)
}

func TestRevokeByAnotherClientIsANoOp(t *testing.T) {
	s := newServer(t, auth0test.Config{NonRotatingRefreshTokens: true})
	s.AddUser("u@example.com", goodPass)
	rt := login(t, s, "u@example.com", "offline_access").ok(t).RefreshToken
	m2m := s.Config().M2M
	if a := postJSON(t, s, "/oauth/revoke", map[string]any{"client_id": m2m.ID, "client_secret": m2m.Secret, "token": rt}, nil); a.status != 200 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	refresh(t, s, rt).ok(t)
}

func TestRevocationDeletesGrant(t *testing.T) {
	s := newServer(t, auth0test.Config{RevocationDeletesGrant: true})
	s.AddUser("u@example.com", goodPass)
	s.AddUser("v@example.com", goodPass)
	a := login(t, s, "u@example.com", "offline_access").ok(t).RefreshToken
	b := login(t, s, "u@example.com", "offline_access").ok(t).RefreshToken
	v := login(t, s, "v@example.com", "offline_access").ok(t).RefreshToken
	revoke(t, s, a)
	refresh(t, s, b).is(t, 403, badRefreshToken)
	refresh(t, s, v).ok(t)
	if n := s.RefreshTokens("u@example.com"); n != 0 {
		t.Errorf("RefreshTokens = %d", n)
	}
}
