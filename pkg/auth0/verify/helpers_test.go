package verify_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
	"github.com/auth0-sam-go/authapi/pkg/auth0/verify"
	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind, such as a
// background refresh outliving its context.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const password = "Corr3ct-Horse-42"

type fixture struct {
	srv *auth0test.Server
	v   *verify.Verifier
}

// newFixture starts a tenant and a Verifier for it, which has fetched the
// tenant's keys once.
func newFixture(t testing.TB, opts ...verify.Option) *fixture {
	t.Helper()
	f := &fixture{srv: newTenant(t)}
	f.v = newVerifier(t, f.srv, opts...)
	return f
}

func newTenant(t testing.TB) *auth0test.Server {
	srv := auth0test.NewServer(auth0test.Config{})
	t.Cleanup(srv.Close)
	return srv
}

// newVerifier's background refresh ends with the test.
func newVerifier(t testing.TB, srv *auth0test.Server, opts ...verify.Option) *verify.Verifier {
	t.Helper()
	v, err := verify.New(srv.Issuer(), srv.Config().Audience, append([]verify.Option{verify.WithContext(t.Context())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// login gets a real access token from the server's /oauth/token.
func login(t testing.TB, srv *auth0test.Server, email, scope string) (token, sub string) {
	t.Helper()
	sub = srv.AddUser(email, password)
	cfg := srv.Config()
	resp, err := http.PostForm(srv.URL+"/oauth/token", url.Values{
		"grant_type":    {"http://auth0.com/oauth/grant-type/password-realm"},
		"realm":         {cfg.Connection},
		"client_id":     {cfg.ClientID},
		"client_secret": {cfg.ClientSecret},
		"audience":      {cfg.Audience},
		"username":      {email},
		"password":      {password},
		"scope":         {scope},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("token request: %d %v", resp.StatusCode, err)
	}
	return tok.AccessToken, sub
}

// claims are valid claims for the fixture's tenant, issued now.
func (f *fixture) claims() map[string]any {
	now := time.Now().Unix()
	return map[string]any{
		"iss": f.srv.Issuer(), "sub": "auth0|65f1c0ffee0123456789abcd", "aud": f.srv.Config().Audience,
		"iat": now, "exp": now + 3600, "scope": "read:profile write:profile",
	}
}

// jwksFetches counts the JWKS requests the server has seen.
func jwksFetches(srv *auth0test.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Path == "/.well-known/jwks.json" {
			n++
		}
	}
	return n
}

func reasonOf(err error) string {
	var e *verify.Error
	if !errors.As(err, &e) {
		return ""
	}
	return e.Reason
}

func wantReason(t *testing.T, v *verify.Verifier, token, reason string) {
	t.Helper()
	c, err := v.Verify(context.Background(), token)
	if got := reasonOf(err); got != reason || c != nil {
		t.Fatalf("Verify = %v, %v; want reason %q", c, err, reason)
	}
	var e *verify.Error
	errors.As(err, &e)
	if e.Description == "" || (token != "" && strings.Contains(e.Description, token)) {
		t.Fatalf("description %q", e.Description)
	}
}

func b64(v any) string {
	var data []byte
	switch x := v.(type) {
	case string:
		data = []byte(x)
	case []byte:
		data = x
	default:
		var err error
		if data, err = json.Marshal(v); err != nil {
			panic(err)
		}
	}
	return base64.RawURLEncoding.EncodeToString(data)
}

func segments(token string) []string { return strings.Split(token, ".") }

func headerOf(t testing.TB, token string) map[string]any {
	t.Helper()
	data, err := base64.RawURLEncoding.DecodeString(segments(token)[0])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(data, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

// jwksOf is a JWKS holding pub as an RS256 signing key named kid.
func jwksOf(t testing.TB, pub *rsa.PublicKey, kid string) string {
	t.Helper()
	key := map[string]string{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
		"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes())}
	data, err := json.Marshal(map[string]any{"keys": []any{key}})
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// weakKey is an RSA key below the 2048 bits the verifier requires.
func weakKey(t testing.TB) *rsa.PublicKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	return &k.PublicKey
}
