package verify_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/auth0-sam-go/authapi/pkg/auth0/verify"
)

// machineToken gets a client-credentials token of the tenant's M2M
// application for the API's own audience: it passes every check Verify
// makes.
func machineToken(t *testing.T, f *fixture) string {
	t.Helper()
	cfg := f.srv.Config()
	resp, err := http.PostForm(f.srv.URL+"/oauth/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {cfg.M2M.ID},
		"client_secret": {cfg.M2M.Secret}, "audience": {cfg.Audience},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("client credentials: %d %v", resp.StatusCode, err)
	}
	return tok.AccessToken
}

func TestIsUserTellsUsersFromApplications(t *testing.T) {
	f := newFixture(t)
	user, _ := login(t, f.srv, "ada@example.com", "openid")
	c, err := f.v.Verify(t.Context(), user)
	if err != nil || !c.IsUser() {
		t.Fatalf("user token: IsUser = %v, %v", c != nil && c.IsUser(), err)
	}
	c, err = f.v.Verify(t.Context(), machineToken(t, f))
	if err != nil {
		t.Fatalf("the machine token must verify (it is for this API): %v", err)
	}
	if c.IsUser() {
		t.Fatalf("machine token (sub %q, gty %v): IsUser = true", c.Subject, c.Raw["gty"])
	}
	for name, raw := range map[string]map[string]any{
		"gty array":     {"gty": []any{"refresh_token", "client-credentials"}},
		"@clients only": {},
	} {
		sub := "auth0|65f1c0ffee"
		if name == "@clients only" {
			sub = "abc@clients"
		}
		if (&verify.Claims{Subject: sub, Raw: raw}).IsUser() {
			t.Errorf("%s: IsUser = true", name)
		}
	}
	if !(&verify.Claims{Subject: "auth0|65f1c0ffee", Raw: map[string]any{"gty": []any{"refresh_token", "password"}}}).IsUser() {
		t.Error("a refreshed user token is a user's")
	}
}

func TestRequireUserRefusesMachineTokens(t *testing.T) {
	f := newFixture(t)
	reached := 0
	api := httptest.NewServer(verify.Middleware(f.v, verify.RequireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached++
	}))))
	defer api.Close()
	user, _ := login(t, f.srv, "ada@example.com", "openid")
	if a := get(t, api.URL, "Bearer "+user); a.status != http.StatusOK || reached != 1 {
		t.Fatalf("user token: %d, reached %d", a.status, reached)
	}
	a := get(t, api.URL, "Bearer "+machineToken(t, f))
	if a.status != http.StatusForbidden || a.body["code"] != "user_token_required" || a.body["error"] != "Forbidden" || reached != 1 {
		t.Fatalf("machine token: %d %s, reached %d", a.status, a.raw, reached)
	}
	if a.header.Get("Cache-Control") != "no-store" || a.header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", a.header)
	}
}
