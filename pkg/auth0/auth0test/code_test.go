package auth0test_test

import (
	"crypto/sha256"
	"encoding/base64"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
)

const (
	redirect = "https://app.example.test/callback"
	verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // RFC 7636 appendix B
)

func challengeOf(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func exchange(t *testing.T, s *auth0test.Server, code string, kv ...string) answer {
	t.Helper()
	return postToken(t, s, appForm(s, append([]string{"grant_type", "authorization_code", "code", code}, kv...)...), nil)
}

func TestAuthorizationCodeWithPKCE(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	sub := s.AddUser("u@example.com", goodPass)
	if got := challengeOf(verifier); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Fatalf("test's S256 is wrong: %s", got) // RFC 7636 appendix B
	}
	code := s.IssueCode(auth0test.CodeGrant{Email: "U@example.com", RedirectURI: redirect,
		CodeChallenge: challengeOf(verifier), Scope: "openid offline_access"})
	tok := exchange(t, s, code, "redirect_uri", redirect, "code_verifier", verifier).ok(t)
	if tok.IDToken == "" || tok.RefreshToken == "" || tok.Scope != "openid offline_access" {
		t.Errorf("answer %+v", tok)
	}
	c := claimsOf(t, tok.AccessToken)
	if c["sub"] != sub || c["gty"] != nil || c["azp"] != s.Config().ClientID {
		t.Errorf("claims %v", c)
	}
	refresh(t, s, tok.RefreshToken).ok(t)

	// Single use.
	exchange(t, s, code, "redirect_uri", redirect, "code_verifier", verifier).is(t, 403,
		`{"error":"invalid_grant","error_description":"Invalid authorization code"}`)
}

func TestAuthorizationCodeErrors(t *testing.T) {
	clock := newClock()
	s := newServer(t, auth0test.Config{Clock: clock.Now})
	s.AddUser("u@example.com", goodPass)
	issue := func() string {
		return s.IssueCode(auth0test.CodeGrant{Email: "u@example.com", RedirectURI: redirect, CodeChallenge: challengeOf(verifier)})
	}
	const (
		invalidCode = `{"error":"invalid_grant","error_description":"Invalid authorization code"}`
		badVerifier = `{"error":"invalid_grant","error_description":"Failed to verify code verifier"}`
	)
	for name, c := range map[string]struct {
		kv   []string
		want string
	}{
		"wrong verifier":   {[]string{"redirect_uri", redirect, "code_verifier", verifier + "x"}, badVerifier},
		"missing verifier": {[]string{"redirect_uri", redirect}, badVerifier},
		"other redirect":   {[]string{"redirect_uri", redirect + "/x", "code_verifier", verifier}, `{"error":"invalid_grant","error_description":"Invalid redirect_uri"}`},
		"missing redirect": {[]string{"code_verifier", verifier}, `{"error":"invalid_grant","error_description":"Invalid redirect_uri"}`},
	} {
		t.Run(name, func(t *testing.T) {
			code := issue()
			exchange(t, s, code, c.kv...).is(t, 403, c.want)
			// A failed exchange uses the code up.
			exchange(t, s, code, "redirect_uri", redirect, "code_verifier", verifier).is(t, 403, invalidCode)
		})
	}
	exchange(t, s, "never-issued").is(t, 403, invalidCode)
	postToken(t, s, appForm(s, "grant_type", "authorization_code"), nil).is(t, 400,
		`{"error":"invalid_request","error_description":"Missing required parameter: code"}`)

	code := issue()
	clock.Add(10 * time.Minute)
	exchange(t, s, code, "redirect_uri", redirect, "code_verifier", verifier).is(t, 403, invalidCode)

	// Without PKCE and redirect_uri, the secret alone suffices.
	plain := s.IssueCode(auth0test.CodeGrant{Email: "u@example.com"})
	if tok := exchange(t, s, plain).ok(t); tok.RefreshToken != "" || tok.IDToken != "" {
		t.Errorf("no scope asked, yet %+v", tok)
	}
	// A user deleted since the login gets nothing.
	gone := issue()
	s.DeleteUser("u@example.com")
	exchange(t, s, gone, "redirect_uri", redirect, "code_verifier", verifier).is(t, 403, invalidCode)
}

func TestIssueCodePanicsForUnknownUser(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	s.IssueCode(auth0test.CodeGrant{Email: "ghost@example.com"})
}
