package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/auth0-sam-go/authapi/internal/api"
	"github.com/auth0-sam-go/authapi/internal/syncbuf"
	"github.com/auth0-sam-go/authapi/pkg/auth0"
	"github.com/auth0-sam-go/authapi/pkg/auth0/verify"
)

// local is make dev's whole handler over real HTTP, against the embedded
// emulator, with its log and the messages it printed.
type local struct {
	URL      string
	logs     *syncbuf.Buffer
	messages *syncbuf.Buffer
}

func newLocal(t *testing.T, origins string) *local { return newLocalWith(t, origins, false) }

// newLocalWith is make dev's server over the emulator, its log lines and
// "sent" messages kept; mfaRequired is make dev MFA=required.
func newLocalWith(t *testing.T, origins string, mfaRequired bool, opts ...api.TokenOption) *local {
	t.Helper()
	l := &local{logs: &syncbuf.Buffer{}, messages: &syncbuf.Buffer{}}
	cfg, secrets, stop, err := emulatorAt("127.0.0.1:0", printMessage(api.NewLogger(l.messages)), mfaRequired)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	v, err := verify.New(cfg.BaseURL, cfg.Audience)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newHandler(auth0.NewClient(cfg, nil), secrets, v, api.NewLogger(l.logs), origins, opts...))
	t.Cleanup(srv.Close)
	l.URL = srv.URL
	return l
}

// The newcomer's path: signup then token against the embedded emulator,
// over real HTTP, as the README's curl lines do.
func TestDevServerSignupThenToken(t *testing.T) {
	l := newLocal(t, DefaultCorsOrigins)
	srv := l
	post := func(path, contentType, body string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Post(srv.URL+path, contentType, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	creds := `{"email":"jane@example.com","password":"Correct-Horse-42"}`
	status, body := post("/signup", "application/json", creds)
	signedUp := body["user_id"]
	if status != 201 || signedUp == nil {
		t.Fatalf("signup: %d %v", status, body)
	}
	status, body = post("/token", "application/json", creds)
	token, _ := body["data"].(string)
	if status != 200 || strings.Count(token, ".") != 2 {
		t.Fatalf("token: %d %v", status, body)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var me map[string]any
	json.NewDecoder(resp.Body).Decode(&me)
	resp.Body.Close()
	if resp.StatusCode != 200 || me["user_id"] == nil || me["user_id"] != signedUp {
		t.Fatalf("/me: %d %v, want user %v", resp.StatusCode, me, signedUp)
	}
	// What plain `curl -d` sends: a form, as OAuth clients send it.
	if status, body := post("/token", "application/x-www-form-urlencoded", "username=jane%40example.com&password=Correct-Horse-42"); status != 200 || body["refresh_token"] == nil {
		t.Fatalf("form post: %d %v", status, body)
	}
	if status, body := post("/signup", "application/x-www-form-urlencoded", "email=a%40example.com&password=Correct-Horse-42"); status != 415 || body["code"] != "unsupported_media_type" {
		t.Fatalf("form post to /signup: %d %v", status, body)
	}
	if status, _ := post("/nope", "application/json", creds); status != 404 {
		t.Fatalf("unknown route: %d", status)
	}
}
