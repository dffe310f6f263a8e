package auth0

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// sensitiveKeys are fields Auth0 (or a misbehaving proxy) may put in an
// error body whose values must never reach an error text, a log line or a
// message shown to the user.
var sensitiveKeys = []string{"mfa_token", "client_secret", "password", "access_token", "id_token", "refresh_token"}

// leakMark starts every planted sensitive value; a body that already holds
// it is not used for the leak property.
const leakMark = "zzLEAK-"

var (
	signupKinds = []Kind{KindUpstream, KindInvalidSignup, KindWeakPassword, KindTooManyAttempts, KindRateLimited, KindMisconfigured}
	tokenKinds  = []Kind{KindUpstream, KindInvalidCredentials, KindAccessDenied, KindTooManyAttempts, KindRateLimited, KindClientRejected, KindMisconfigured, KindMFARequired}
)

// FuzzParseError feeds any status, body and rate-limit headers to the
// parser of Auth0's error answers, as the signup or the token call.
//
// Properties: it never panics; it always gives an *Error whose Status is the
// answer's and whose Kind is one that call can produce (never a timeout); a
// 429 is always a rate limit or too many attempts, with a Retry-After between
// 1 s and 1 h that honours a far-off reset; a 5xx is never blamed on the
// user; Error(), Hint() and UnmetRules() are valid UTF-8 and never carry the
// value of mfa_token, client_secret, password or a token field, and do not
// depend on those fields at all (but for mfa_token deciding KindMFARequired).
func FuzzParseError(f *testing.F) {
	for _, s := range []struct {
		status int
		body   string
	}{
		{400, `{"name": "BadRequestError", "code": "user_exists", "description": "The user already exists.", "statusCode": 400}`},
		{400, passwordStrengthBody},
		{400, `{"error": "public signup is disabled"}`},
		{403, `{"error": "invalid_grant", "error_description": "Wrong email or password."}`},
		{403, `{"error": "mfa_required", "error_description": "Multifactor authentication required", "mfa_token": "Fe26...Ha", "mfa_requirements": {"challenge": [{"type": "otp"}]}}`},
		{401, `{"error": "access_denied", "error_description": "Unauthorized"}`},
		{500, `{"error": "server_error", "error_description": "Authorization server not configured with default connection."}`},
		{429, `{"error": "too_many_attempts", "error_description": "Your account has been blocked."}`},
		{429, `<html><body>Too Many Requests</body></html>`},
		{429, ``},
		{503, `<html>Service Unavailable</html>`},
		{400, `{"description": {"rules": [{"message": "%d%s%!", "format": [1e300, "x", null, {"a": 1}], "items": [{"message": "%v"}]}]}}`},
		{-1, `null`},
		{999, `[]`},
	} {
		f.Add(s.status, []byte(s.body), "", "", true)
		f.Add(s.status, []byte(s.body), "", "", false)
	}
	f.Add(429, []byte(`{"error":"too_many_requests"}`), "1700000007", "", false)
	f.Add(429, []byte(`{"error":"too_many_requests"}`), "", "99999999999999", false)
	f.Add(429, []byte(`{"error":"too_many_requests"}`), "9223372036854775807", "", true)
	f.Add(429, []byte(`{"error":"too_many_requests"}`), "-9223372036854775808", "-5", true)

	f.Fuzz(func(t *testing.T, status int, body []byte, reset, retryAfterHeader string, signup bool) {
		h := http.Header{}
		if reset != "" {
			h.Set("X-RateLimit-Reset", reset)
		}
		if retryAfterHeader != "" {
			h.Set("Retry-After", retryAfterHeader)
		}
		classify := passwordGrant
		if signup {
			classify = classifySignup
		}
		e := parseError(status, h, body, classify)
		checkParsedError(t, e, status, signup, h)

		// Plant a recognisable value in every sensitive field of an object
		// body: none may come out, and the answer must not change when the
		// fields are removed.
		var obj map[string]json.RawMessage
		if json.Unmarshal(body, &obj) != nil || obj == nil || bytes.Contains(body, []byte(leakMark)) {
			return
		}
		for _, k := range sensitiveKeys {
			obj[k] = json.RawMessage(strconv.Quote(leakMark + k + "-5f0c9a"))
		}
		planted, err := json.Marshal(obj)
		if err != nil {
			t.Fatalf("re-marshal: %v", err)
		}
		withSecrets := parseError(status, h, planted, classify)
		checkParsedError(t, withSecrets, status, signup, h)
		for _, text := range append([]string{withSecrets.Error(), withSecrets.Hint()}, withSecrets.UnmetRules()...) {
			if strings.Contains(text, leakMark) {
				t.Fatalf("a sensitive field's value reached the error text %q (body %q)", text, planted)
			}
		}
		for _, k := range sensitiveKeys {
			// An mfa_token is what makes mfa_required a way forward
			// rather than a refusal: it may decide the Kind.
			if k != "mfa_token" {
				delete(obj, k)
			}
		}
		stripped, _ := json.Marshal(obj)
		without := parseError(status, h, stripped, classify)
		if without.Error() != withSecrets.Error() || without.Kind != withSecrets.Kind ||
			!slices.Equal(without.UnmetRules(), withSecrets.UnmetRules()) {
			t.Fatalf("sensitive fields changed the outcome:\n with: %v\n without: %v", withSecrets, without)
		}
	})
}

func checkParsedError(t *testing.T, e *Error, status int, signup bool, h http.Header) {
	t.Helper()
	if e == nil {
		t.Fatal("parseError returned nil")
	}
	if e.Status != status {
		t.Fatalf("Status %d, want %d", e.Status, status)
	}
	kinds := tokenKinds
	if signup {
		kinds = signupKinds
	}
	if !slices.Contains(kinds, e.Kind) || strings.HasPrefix(e.Kind.String(), "kind(") {
		t.Fatalf("kind %v is not one the call can produce (signup=%v)", e.Kind, signup)
	}
	switch {
	case status == http.StatusTooManyRequests:
		if e.Kind != KindRateLimited && e.Kind != KindTooManyAttempts {
			t.Fatalf("a 429 became %v", e.Kind)
		}
	case status >= 500:
		if e.Kind != KindUpstream && e.Kind != KindMisconfigured {
			t.Fatalf("a %d became %v", status, e.Kind)
		}
	}
	if e.Kind == KindRateLimited || e.Kind == KindTooManyAttempts {
		if e.RetryAfter < time.Second || e.RetryAfter > time.Hour || e.RetryAfter%time.Second != 0 {
			t.Fatalf("RetryAfter %v, want whole seconds in [1s, 1h]", e.RetryAfter)
		}
		// A reset or Retry-After an hour or more away must give the cap,
		// whatever its size.
		reset, rerr := strconv.ParseInt(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 10, 64)
		secs, serr := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After")))
		if (rerr == nil && reset > time.Now().Unix()+3700) || (rerr != nil && serr == nil && secs >= 3600) {
			if e.RetryAfter != time.Hour {
				t.Fatalf("reset %q / Retry-After %q gave %v, want the 1h cap", h.Get("X-RateLimit-Reset"), h.Get("Retry-After"), e.RetryAfter)
			}
		}
	}
	msg := e.Error()
	if !strings.HasPrefix(msg, "auth0: "+e.Kind.String()) || !utf8.ValidString(msg) {
		t.Fatalf("Error() = %q", msg)
	}
	if hint := e.Hint(); hint == "" || !utf8.ValidString(hint) {
		t.Fatalf("Hint() = %q", hint)
	}
	for _, r := range e.UnmetRules() {
		if !utf8.ValidString(r) {
			t.Fatalf("UnmetRules() has invalid UTF-8: %q", r)
		}
	}
}

// TestRetryDelayIsJittered checks the pause before the token call's one
// retry: always within 50-150 ms, and not a constant.
func TestRetryDelayIsJittered(t *testing.T) {
	c := NewClient(Config{}, nil)
	seen := map[time.Duration]bool{}
	for range 1000 {
		d := c.retryDelay()
		if d < 50*time.Millisecond || d >= 150*time.Millisecond {
			t.Fatalf("retry delay %v outside [50ms, 150ms)", d)
		}
		seen[d] = true
	}
	if len(seen) < 100 {
		t.Fatalf("only %d distinct delays in 1000 draws: not jittered", len(seen))
	}
}
