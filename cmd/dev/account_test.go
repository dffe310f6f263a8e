package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/auth0-sam-go/authapi/internal/api"
	"github.com/auth0-sam-go/authapi/pkg/auth0"
	"github.com/auth0-sam-go/authapi/pkg/auth0/verify"
)

// Issue 12's walk through make dev: signup, token, DELETE /me with a wrong
// then the right password, login refused, and a verification email.
func TestDevServerAccountRoutes(t *testing.T) {
	t.Setenv(auth0.EnvIssuer, "") // the embedded emulator, started as make dev starts it
	t.Setenv("AUTH0_EMULATOR_ADDR", "127.0.0.1:0")
	cfg, secrets, stop, err := emulator(api.NewLogger(io.Discard), false)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	v, err := verify.New(cfg.BaseURL, cfg.Audience, verify.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	logger := api.NewLogger(io.Discard)
	mux := newMux(auth0.NewClient(cfg, nil), secrets, v, logger)
	if err := addAccountRoutes(t.Context(), mux, cfg, secrets, v, logger); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()

	do := func(method, path, token, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}
	login := func(email string) (int, string) {
		t.Helper()
		status, body := do("POST", "/token", "", `{"email":"`+email+`","password":"Correct-Horse-42"}`)
		var m struct{ Data string }
		json.Unmarshal([]byte(body), &m)
		return status, m.Data
	}
	for _, email := range []string{"jane@example.com", "joe@example.com"} {
		if status, body := do("POST", "/signup", "", `{"email":"`+email+`","password":"Correct-Horse-42"}`); status != 201 {
			t.Fatalf("signup: %d %s", status, body)
		}
	}
	_, jane := login("jane@example.com")

	for _, c := range []struct {
		method, path, token, body string
		status                    int
		contains                  string
	}{
		{"DELETE", "/me", "", `{"password":"Correct-Horse-42"}`, 401, `"Unauthorized"`},
		{"DELETE", "/me", jane, `{"password":"Wrong-Horse-42"}`, 401, `"invalid_credentials"`},
		{"PUT", "/me", jane, `{}`, 404, `"Not Found"`},
		{"GET", "/me/verification-email", jane, ``, 404, `"Not Found"`},
		{"DELETE", "/me", jane, `{"password":"Correct-Horse-42"}`, 204, ``},
	} {
		status, body := do(c.method, c.path, c.token, c.body)
		if status != c.status || !strings.Contains(body, c.contains) {
			t.Fatalf("%s %s: %d %s, want %d %s", c.method, c.path, status, body, c.status, c.contains)
		}
	}
	if status, _ := login("jane@example.com"); status != 401 {
		t.Fatalf("the deleted user logs in: %d", status)
	}

	_, joe := login("joe@example.com")
	if status, body := do("POST", "/me/verification-email", joe, ""); status != 202 || !strings.Contains(body, "queued") {
		t.Fatalf("verification email: %d %s", status, body)
	}

	// The emulator's M2M application gets tokens for the API too: refused.
	resp, err := http.PostForm(cfg.BaseURL+"/oauth/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {devM2M.ID}, "client_secret": {devM2M.Secret}, "audience": {cfg.Audience}})
	if err != nil {
		t.Fatal(err)
	}
	var m2m struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&m2m)
	resp.Body.Close()
	for _, r := range [][2]string{{"GET", "/me"}, {"POST", "/me/verification-email"}} {
		if status, body := do(r[0], r[1], m2m.AccessToken, ""); status != 403 || !strings.Contains(body, "user_token_required") {
			t.Errorf("%s %s with a machine token: %d %s", r[0], r[1], status, body)
		}
	}
}
