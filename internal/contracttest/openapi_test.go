package contracttest

import "testing"

const jsonType = "application/json"

func TestValidateAcceptsDeclaredAnswers(t *testing.T) {
	s := Load(t)
	for _, c := range []struct {
		method, path string
		status       int
		headers      map[string]string
		body         string
	}{
		{"POST", "/signup", 201, map[string]string{"Content-Type": jsonType}, `{"message":"User Created","user_id":"auth0|1"}`},
		{"POST", "/token", 200, map[string]string{"Content-Type": jsonType, "Cache-Control": "no-store"},
			`{"data":"a.b.c","access_token":"a.b.c","token_type":"Bearer","expires_in":60}`},
		// API Gateway's payload 2.0 headers come lower-cased.
		{"POST", "/token", 401, map[string]string{"content-type": jsonType},
			`{"error":"Unauthorized","code":"invalid_credentials","message":"Wrong email or password."}`},
		{"POST", "/token", 429, map[string]string{"Content-Type": jsonType, "Retry-After": "30"},
			`{"error":"Too Many Requests","code":"rate_limited","message":"x"}`},
		{"GET", "/me", 200, map[string]string{"Content-Type": jsonType, "Cache-Control": "no-store"},
			`{"user_id":"auth0|1","scope":["openid"],"expires_at":1773220500}`},
		{"DELETE", "/me", 204, map[string]string{"Cache-Control": "no-store"}, ``},
		{"GET", "/me", 403, map[string]string{"Content-Type": jsonType, "Cache-Control": "no-store"},
			`{"error":"Forbidden","code":"user_token_required","message":"x"}`},
	} {
		if err := s.Validate(c.method, c.path, c.status, c.headers, c.body); err != nil {
			t.Errorf("%s %s %d: %v", c.method, c.path, c.status, err)
		}
	}
}

// TestValidateCatchesDrift proves the check can fail, once per kind of
// mismatch.
func TestValidateCatchesDrift(t *testing.T) {
	s := Load(t)
	ct := map[string]string{"Content-Type": jsonType}
	for _, c := range []struct {
		name, method, path string
		status             int
		headers            map[string]string
		body               string
	}{
		{"undeclared status", "POST", "/signup", 418, ct, `{"error":"I'm a teapot","code":"invalid_request","message":"x"}`},
		{"status of another route", "POST", "/signup", 503, ct, `{"error":"Service Unavailable","code":"secret_unavailable","message":"x"}`},
		{"code not allowed for status", "POST", "/token", 401, ct, `{"error":"Unauthorized","code":"weak_password","message":"x"}`},
		{"missing required field", "POST", "/signup", 201, ct, `{"message":"User Created"}`},
		{"wrong type", "POST", "/token", 200, ct, `{"data":"a","access_token":"a","token_type":"Bearer","expires_in":"60"}`},
		{"not JSON", "POST", "/token", 401, ct, `nope`},
		{"no Content-Type", "POST", "/signup", 201, nil, `{"message":"User Created","user_id":"auth0|1"}`},
		{"other Content-Type", "POST", "/signup", 201, map[string]string{"Content-Type": "text/plain"}, `{"message":"User Created","user_id":"auth0|1"}`},
		{"header off its schema", "POST", "/token", 200, map[string]string{"Content-Type": jsonType, "Cache-Control": "no-cache"},
			`{"data":"a.b.c","access_token":"a.b.c","token_type":"Bearer","expires_in":60}`},
		{"header of the wrong type", "POST", "/token", 429, map[string]string{"Content-Type": jsonType, "Retry-After": "soon"},
			`{"error":"Too Many Requests","code":"rate_limited","message":"x"}`},
		{"code not allowed for the route", "GET", "/me", 403, map[string]string{"Content-Type": jsonType, "Cache-Control": "no-store"},
			`{"error":"Forbidden","code":"access_denied","message":"x"}`},
		{"unknown path", "POST", "/nope", 200, ct, `{}`},
		{"undeclared method", "GET", "/signup", 200, ct, `{}`},
	} {
		if err := s.Validate(c.method, c.path, c.status, c.headers, c.body); err == nil {
			t.Errorf("%s: accepted", c.name)
		} else {
			t.Logf("%s: %v", c.name, err)
		}
	}
}

// TestCheckFailsTheTest: Check reports a mismatch through t.
func TestCheckFailsTheTest(t *testing.T) {
	rec := &recorder{TB: t}
	Load(t).Check(rec, "POST", "/signup", 418, map[string]string{"Content-Type": jsonType}, `{}`)
	if !rec.failed {
		t.Fatal("Check passed an undeclared status")
	}
	rec = &recorder{TB: t}
	Load(t).Check(rec, "POST", "/signup", 201, map[string]string{"Content-Type": jsonType}, `{"message":"User Created","user_id":"auth0|1"}`)
	if rec.failed {
		t.Fatal("Check failed a declared answer")
	}
}

// recorder notes Errorf instead of failing the real test.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
