package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// send makes one request to the local API and decodes a JSON answer.
func (l *local) send(t *testing.T, method, path string, header http.Header, body string) (*http.Response, string, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, l.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(data, &m)
	return resp, string(data), m
}

func (l *local) form(t *testing.T, path string, kv ...string) (*http.Response, string, map[string]any) {
	t.Helper()
	f := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return l.send(t, "POST", path, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, f.Encode())
}

func (l *local) json(t *testing.T, path, body string) (*http.Response, string, map[string]any) {
	t.Helper()
	return l.send(t, "POST", path, http.Header{"Content-Type": {"application/json"}}, body)
}

// The "done when", over real HTTP through make dev's handler.
func TestDevSessions(t *testing.T) {
	l := newLocal(t, DefaultCorsOrigins)
	const creds = `{"email":"jane@example.com","password":"Correct-Horse-42"}`
	if resp, body, _ := l.json(t, "/signup", creds); resp.StatusCode != 201 {
		t.Fatalf("signup: %d %s", resp.StatusCode, body)
	}
	resp, body, tok := l.json(t, "/token", creds)
	first, _ := tok["refresh_token"].(string)
	if resp.StatusCode != 200 || first == "" || tok["access_token"] == nil || tok["access_token"] != tok["data"] {
		t.Fatalf("token: %d %s", resp.StatusCode, body)
	}

	// Rotation, then reuse: the whole family is revoked.
	_, body, next := l.form(t, "/token", "grant_type", "refresh_token", "refresh_token", first)
	second, _ := next["refresh_token"].(string)
	if second == "" || second == first || next["access_token"] == nil {
		t.Fatalf("refresh: %s", body)
	}
	for _, rt := range []string{first, second} {
		if resp, body, m := l.form(t, "/token", "grant_type", "refresh_token", "refresh_token", rt); resp.StatusCode != 401 || m["code"] != "session_expired" {
			t.Fatalf("after reuse: %d %s", resp.StatusCode, body)
		}
	}

	// The password grant as an OAuth client posts it.
	resp, body, tok = l.form(t, "/token", "grant_type", "password", "username", "jane@example.com", "password", "Correct-Horse-42")
	rt, _ := tok["refresh_token"].(string)
	if resp.StatusCode != 200 || rt == "" {
		t.Fatalf("form login: %d %s", resp.StatusCode, body)
	}

	// Logout, refresh fails, logout again.
	for range 2 {
		resp, body, _ := l.json(t, "/logout", `{"refresh_token":"`+rt+`"}`)
		if resp.StatusCode != 204 || body != "" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("logout: %d %v %q", resp.StatusCode, resp.Header, body)
		}
		if resp, body, m := l.form(t, "/token", "grant_type", "refresh_token", "refresh_token", rt); resp.StatusCode != 401 || m["code"] != "session_expired" {
			t.Fatalf("refresh after logout: %d %s", resp.StatusCode, body)
		}
	}

	// Password reset: the same answer for an existing and an unknown email;
	// the email sent is printed.
	known, kbody, _ := l.json(t, "/password/reset", `{"email":"jane@example.com"}`)
	unknown, ubody, _ := l.form(t, "/password/reset", "email", "nobody@example.com")
	if known.StatusCode != 202 || kbody != ubody || unknown.StatusCode != 202 ||
		!strings.Contains(kbody, "If an account exists for this email, a link to reset the password has been sent.") {
		t.Fatalf("reset: %d %s / %d %s", known.StatusCode, kbody, unknown.StatusCode, ubody)
	}
	printed := strings.Split(strings.TrimSpace(l.messages.String()), "\n")
	var line map[string]any
	if len(printed) != 1 || json.Unmarshal([]byte(printed[0]), &line) != nil ||
		line["kind"] != "password_reset" || line["to"] != "j***@example.com" || !strings.Contains(line["link"].(string), "ticket=") {
		t.Fatalf("printed messages: %q", l.messages.String())
	}

	if resp, body, m := l.form(t, "/token", "grant_type", "client_credentials"); resp.StatusCode != 400 || m["code"] != "unsupported_grant_type" {
		t.Fatalf("client_credentials: %d %s", resp.StatusCode, body)
	}
	// The functions' routers answer inside their paths.
	if resp, _, m := l.send(t, "GET", "/logout", nil, ""); resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" || m["code"] != "method_not_allowed" {
		t.Fatalf("GET /logout: %d %v", resp.StatusCode, m)
	}
	for _, secret := range []string{first, second, rt, "Correct-Horse-42", "jane@example.com"} {
		if strings.Contains(l.logs.String(), secret) {
			t.Fatalf("the log holds a credential or an address:\n%s", l.logs)
		}
	}
}

func TestDevCORS(t *testing.T) {
	l := newLocal(t, DefaultCorsOrigins)
	preflight := func(origin string) *http.Response {
		resp, _, _ := l.send(t, "OPTIONS", "/token", http.Header{"Origin": {origin},
			"Access-Control-Request-Method": {"POST"}, "Access-Control-Request-Headers": {"content-type"}}, "")
		return resp
	}
	for _, origin := range strings.Split(DefaultCorsOrigins, ",") {
		resp := preflight(origin)
		h := resp.Header
		if resp.StatusCode != 204 || h.Get("Access-Control-Allow-Origin") != origin ||
			!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
			!strings.Contains(h.Get("Access-Control-Allow-Headers"), "content-type") ||
			!strings.Contains(h.Get("Access-Control-Allow-Headers"), "authorization") || h.Get("Access-Control-Max-Age") == "" {
			t.Fatalf("preflight from %s: %d %v", origin, resp.StatusCode, h)
		}
		if h.Get("Access-Control-Allow-Credentials") != "" {
			t.Fatalf("credentials allowed: %v", h)
		}
	}
	if resp := preflight("https://evil.example"); resp.StatusCode != 204 || hasCORS(resp.Header) {
		t.Fatalf("preflight from another origin: %d %v", resp.StatusCode, resp.Header)
	}
	// A preflight of /me is answered before the authorizer runs.
	resp, _, _ := l.send(t, "OPTIONS", "/me", http.Header{"Origin": {"http://localhost:5173"},
		"Access-Control-Request-Method": {"GET"}, "Access-Control-Request-Headers": {"authorization"}}, "")
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" {
		t.Fatalf("preflight of /me: %d %v", resp.StatusCode, resp.Header)
	}

	// Answers carry the header for an allowed origin only, errors included.
	for origin, want := range map[string]string{"http://localhost:3001": "http://localhost:3001", "https://evil.example": "", "": ""} {
		h := http.Header{"Content-Type": {"application/json"}}
		if origin != "" {
			h.Set("Origin", origin)
		}
		resp, _, _ := l.send(t, "POST", "/token", h, `{"email":"nobody@example.com","password":"Wrong-Horse-1"}`)
		if resp.StatusCode != 401 || resp.Header.Get("Access-Control-Allow-Origin") != want {
			t.Fatalf("origin %q: %d %v", origin, resp.StatusCode, resp.Header)
		}
		if want == "" && hasCORS(resp.Header) {
			t.Fatalf("origin %q got CORS headers: %v", origin, resp.Header)
		}
		if want != "" && !strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "retry-after") {
			t.Fatalf("Retry-After not exposed: %v", resp.Header)
		}
	}

	// CORS_ORIGINS replaces the list.
	other := newLocal(t, " https://app.example , http://localhost:4200/")
	resp, _, _ = other.send(t, "OPTIONS", "/logout", http.Header{"Origin": {"http://localhost:4200"}, "Access-Control-Request-Method": {"POST"}}, "")
	if resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:4200" {
		t.Fatalf("configured origin: %v", resp.Header)
	}
	resp, _, _ = other.send(t, "OPTIONS", "/logout", http.Header{"Origin": {"http://localhost:3001"}, "Access-Control-Request-Method": {"POST"}}, "")
	if hasCORS(resp.Header) {
		t.Fatalf("a default origin is still allowed: %v", resp.Header)
	}
}

func hasCORS(h http.Header) bool {
	for k := range h {
		if strings.HasPrefix(strings.ToLower(k), "access-control-") {
			return true
		}
	}
	return false
}

// /me refuses as API Gateway's JWT authorizer does.
func TestDevMeAnswersLikeTheJWTAuthorizer(t *testing.T) {
	l := newLocal(t, DefaultCorsOrigins)
	for name, auth := range map[string]string{
		"no token":    "",
		"not bearer":  "Basic YTpi",
		"empty":       "Bearer ",
		"garbage":     "Bearer not.a.jwt",
		"three parts": "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
	} {
		h := http.Header{"Origin": {"http://localhost:3001"}}
		if auth != "" {
			h.Set("Authorization", auth)
		}
		resp, body, _ := l.send(t, "GET", "/me", h, "")
		wa := resp.Header.Get("Www-Authenticate")
		if resp.StatusCode != 401 || body != `{"message":"Unauthorized"}` ||
			!strings.HasPrefix(wa, `Bearer scope="" error="invalid_token" error_description="`) || !strings.HasSuffix(wa, `"`) ||
			resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:3001" {
			t.Fatalf("%s: %d %q %v", name, resp.StatusCode, body, resp.Header)
		}
	}
}
