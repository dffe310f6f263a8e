package auth0test_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
)

// fakeClock is a Config.Clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Unix(1_800_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func postJSON(t *testing.T, s *auth0test.Server, path string, body map[string]any, header http.Header) answer {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return mustDo(t, http.MethodPost, s.URL+path, "application/json", string(b), header)
}

// appForm is the application's credentials plus extra parameters.
func appForm(s *auth0test.Server, kv ...string) url.Values {
	cfg := s.Config()
	f := url.Values{"client_id": {cfg.ClientID}, "client_secret": {cfg.ClientSecret}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

// appJSON is appForm as a JSON body.
func appJSON(s *auth0test.Server, kv ...string) map[string]any {
	m := map[string]any{}
	for k, v := range appForm(s, kv...) {
		m[k] = v[0]
	}
	return m
}

// login is a password-realm login asking for scope.
func login(t *testing.T, s *auth0test.Server, email, scope string) answer {
	t.Helper()
	f := tokenForm(s, email, goodPass)
	if scope != "" {
		f.Set("scope", scope)
	}
	return postToken(t, s, f, nil)
}

type tokens struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
	ExpiresIn    int    `json:"expires_in"`
	TokenType    string `json:"token_type"`
	RecoveryCode string `json:"recovery_code"`
}

// ok decodes a 200 token answer, failing the test on anything else.
func (a answer) ok(t *testing.T) tokens {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("status %d, body %s", a.status, a.body)
	}
	var tok tokens
	if err := json.Unmarshal(a.body, &tok); err != nil || tok.AccessToken == "" || tok.TokenType != "Bearer" {
		t.Fatalf("not a token answer (%v): %s", err, a.body)
	}
	if a.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", a.header.Get("Cache-Control"))
	}
	return tok
}

// claimsOf decodes a JWT's payload without verifying it (verify does that
// where it matters).
func claimsOf(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func refresh(t *testing.T, s *auth0test.Server, rt string, kv ...string) answer {
	t.Helper()
	return postToken(t, s, appForm(s, append([]string{"grant_type", "refresh_token", "refresh_token", rt}, kv...)...), nil)
}

const badRefreshToken = `{"error":"invalid_grant","error_description":"Unknown or invalid refresh token."}`
