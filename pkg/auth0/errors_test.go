package auth0

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Bodies from ../../../shared/reference/auth0-responses.md, as the real
// service sends them.
const passwordStrengthBody = `{"name": "PasswordStrengthError", "message": "Password is too weak", "code": "invalid_password", "description": {"rules": [{"message": "At least %d characters in length", "format": [8], "code": "lengthAtLeast", "verified": true}, {"message": "Contain at least %d of the following %d types of characters:", "code": "containsAtLeast", "format": [3, 4], "items": [{"message": "lower case letters (a-z)", "code": "lowerCase", "verified": true}, {"message": "upper case letters (A-Z)", "code": "upperCase", "verified": false}, {"message": "numbers (i.e. 0-9)", "code": "numbers", "verified": false}, {"message": "special characters (e.g. !@#$%^&*)", "code": "specialCharacters", "verified": true}], "verified": false}], "verified": false}, "policy": "* At least 8 characters in length\n* Contain at least 3 of the following 4 types of characters:\n * lower case letters (a-z)\n * upper case letters (A-Z)\n * numbers (i.e. 0-9)\n * special characters (e.g. !@#$%^&*)", "statusCode": 400}`

func TestClassifySignupCatalogue(t *testing.T) {
	cases := []struct {
		status int
		body   string
		kind   Kind
		code   string
	}{
		{400, `{"name": "BadRequestError", "code": "user_exists", "description": "The user already exists.", "statusCode": 400}`, KindInvalidSignup, "user_exists"},
		{400, `{"name": "BadRequestError", "code": "invalid_signup", "description": "Invalid sign up", "statusCode": 400}`, KindInvalidSignup, "invalid_signup"},
		{400, passwordStrengthBody, KindWeakPassword, "invalid_password"},
		{400, `{"name": "PasswordDictionaryError", "message": "Password is too common", "code": "invalid_password", "description": "Password is not allowed, it might be too common.", "statusCode": 400}`, KindWeakPassword, "invalid_password"},
		{400, `{"name": "PasswordNoUserInfoError", "code": "invalid_password", "description": "Password contains user information", "statusCode": 400}`, KindWeakPassword, "invalid_password"},
		{400, `{"code": "password_leaked", "description": "Password has been leaked"}`, KindInvalidSignup, "password_leaked"},
		{400, `{"code": "unauthorized", "description": "Signups from this domain are not allowed"}`, KindInvalidSignup, "unauthorized"},
		{429, `{"error": "too_many_attempts", "error_description": "Too many signups from this IP"}`, KindTooManyAttempts, "too_many_attempts"},
		{429, `{"error": "too_many_requests", "error_description": "Too many requests."}`, KindRateLimited, "too_many_requests"},
		{400, `{"error": "public signup is disabled"}`, KindMisconfigured, ""},
		{400, `{"name": "BadRequestError", "code": "bad.connection", "description": "The connection does not exist", "statusCode": 400}`, KindMisconfigured, "bad.connection"},
		{500, `{"error": "server_error"}`, KindUpstream, "server_error"},
		{503, `<html>bad gateway</html>`, KindUpstream, ""},
		{400, `<html>oops</html>`, KindUpstream, ""},
	}
	for _, c := range cases {
		e := parseError(c.status, http.Header{}, []byte(c.body), classifySignup)
		if e.Kind != c.kind || e.Code != c.code || e.Status != c.status {
			t.Errorf("%d %s\n got kind=%v code=%q, want kind=%v code=%q", c.status, c.body, e.Kind, e.Code, c.kind, c.code)
		}
	}
}

func TestClassifyTokenCatalogue(t *testing.T) {
	cases := []struct {
		status int
		body   string
		kind   Kind
	}{
		{403, `{"error": "invalid_grant", "error_description": "Wrong email or password."}`, KindInvalidCredentials},
		{403, `{"error": "unauthorized_client", "error_description": "Grant type 'http://auth0.com/oauth/grant-type/password-realm' not allowed for the client."}`, KindMisconfigured},
		{500, `{"error": "server_error", "error_description": "Authorization server not configured with default connection."}`, KindMisconfigured},
		{401, `{"error": "access_denied", "error_description": "Unauthorized"}`, KindClientRejected},
		{401, `{"error": "invalid_client", "error_description": "Client authentication failed"}`, KindClientRejected},
		{403, `{"error": "access_denied", "error_description": "Service not found: https://nope"}`, KindMisconfigured},
		{403, `{"error": "access_denied", "error_description": "Only staff may log in"}`, KindAccessDenied},
		{403, `{"error": "mfa_required", "error_description": "Multifactor authentication required", "mfa_token": "Fe26...Ha", "mfa_requirements": {"challenge": [{"type": "otp"}]}}`, KindMFARequired},
		{429, `{"error": "too_many_attempts", "error_description": "Your account has been blocked after multiple consecutive login attempts."}`, KindTooManyAttempts},
		{401, `{"error": "password_leaked", "error_description": "This login attempt has been blocked because the password you're using was previously disclosed through a data breach (not in this application)."}`, KindAccessDenied},
		{401, `{"error": "unauthorized", "error_description": "user is blocked"}`, KindAccessDenied},
		{403, `{"error": "invalid_grant", "error_description": "user is blocked"}`, KindAccessDenied},
		{401, `{"error": "requires_verification", "error_description": "Suspicious request requires verification"}`, KindAccessDenied},
		{400, `{"error": "invalid_request", "error_description": "the connection was disabled"}`, KindMisconfigured},
		{400, `{"statusCode": 400, "error": "invalid_scope", "error_description": "Scope must be an array or a string"}`, KindMisconfigured},
		{429, `{"error": "too_many_requests", "error_description": "Too many requests."}`, KindRateLimited},
		{502, `upstream connect error`, KindUpstream},
		{418, `{"error": "teapot"}`, KindUpstream},
	}
	for _, c := range cases {
		e := parseError(c.status, http.Header{}, []byte(c.body), passwordGrant)
		if e.Kind != c.kind {
			t.Errorf("%d %s: kind %v, want %v", c.status, c.body, e.Kind, c.kind)
		}
		if strings.Contains(e.Error(), "Fe26") {
			t.Errorf("error text carries the mfa_token: %s", e)
		}
	}
}

func TestUnmetRulesFromPolicyObject(t *testing.T) {
	e := parseError(400, http.Header{}, []byte(passwordStrengthBody), classifySignup)
	got := e.UnmetRules()
	want := []string{"Contain at least 3 of the following 4 types of characters (missing: upper case letters (A-Z), numbers (i.e. 0-9))"}
	if len(got) != 1 || got[0] != want[0] {
		t.Fatalf("UnmetRules = %q, want %q", got, want)
	}
	dict := parseError(400, http.Header{}, []byte(`{"name":"PasswordDictionaryError","code":"invalid_password","description":"Password is not allowed, it might be too common."}`), classifySignup)
	if r := dict.UnmetRules(); len(r) != 1 || !strings.Contains(r[0], "too common") {
		t.Fatalf("dictionary UnmetRules = %q", r)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	h := http.Header{}
	if got := retryAfter(h, now); got != time.Second {
		t.Errorf("no headers: %v, want 1s", got)
	}
	h.Set("X-RateLimit-Reset", strconv.FormatInt(now.Unix()+7, 10))
	if got := retryAfter(h, now); got != 7*time.Second {
		t.Errorf("reset +7s: %v", got)
	}
	h.Set("X-RateLimit-Reset", strconv.FormatInt(now.Unix()-30, 10))
	if got := retryAfter(h, now); got != time.Second {
		t.Errorf("reset in the past: %v, want 1s", got)
	}
	h = http.Header{"Retry-After": {"12"}}
	if got := retryAfter(h, now); got != 12*time.Second {
		t.Errorf("Retry-After 12: %v", got)
	}
	h = http.Header{"X-Ratelimit-Reset": {"99999999999"}}
	if got := retryAfter(h, now); got != time.Hour {
		t.Errorf("far future: %v, want capped at 1h", got)
	}
}

// A hostile password-policy answer: format widths that would make a format
// engine write megabytes, many rules and items, a huge description.
func TestHostilePasswordRulesStaySmall(t *testing.T) {
	rule := `{"message":"%99999999d%99999999d %d %s %v %%","format":[1,2,3,"` + strings.Repeat("x", 500) + `",5,6,7,8,9,10],"verified":false,"items":[` +
		strings.Repeat(`{"message":"`+strings.Repeat("y", 1000)+`","verified":false,"items":[{"message":"deep","verified":false}]},`, 40) +
		`{"message":"last","verified":false}]}`
	body := `{"name":"PasswordStrengthError","code":"invalid_password","policy":"` + strings.Repeat("p", 100000) +
		`","description":{"rules":[` + strings.Repeat(rule+",", 99) + rule + `]}}`
	e := parseError(400, http.Header{}, []byte(body), classifySignup)
	if e.Kind != KindWeakPassword {
		t.Fatalf("kind %v", e.Kind)
	}
	if len(e.Rules) != maxRules || len(e.Rules[0].Items) != maxRules || e.Rules[0].Items[0].Items != nil {
		t.Fatalf("kept %d rules, %d items", len(e.Rules), len(e.Rules[0].Items))
	}
	total := 0
	for _, r := range e.UnmetRules() {
		total += len(r)
	}
	if total > maxRulesText || len(e.Error()) > 1024 || len(e.Policy) > 4*maxRuleText {
		t.Fatalf("unmet rules %d bytes, error text %d bytes, policy %d bytes", total, len(e.Error()), len(e.Policy))
	}
	if got := e.Rules[0].Text(); got != "%99999999d%99999999d 1 2 %v %" {
		t.Fatalf("widths must not be formatted: %.60q", got)
	}
}

func TestRuleTextSubstitutes(t *testing.T) {
	cases := []struct {
		msg    string
		format []any
		want   string
	}{
		{"At least %d characters in length", []any{8.0}, "At least 8 characters in length"},
		{"Contain at least %d of the following %d types of characters:", []any{3.0, 4.0}, "Contain at least 3 of the following 4 types of characters:"},
		{"No placeholders", nil, "No placeholders"},
		{"100%% sure, %d", []any{1.5}, "100% sure, "},
		{"missing %d %d", []any{1.0}, "missing 1 %d"},
		{"trailing %", []any{1.0}, "trailing %"},
	}
	for _, c := range cases {
		if got := (PasswordRule{Message: c.msg, Format: c.format}).Text(); got != c.want {
			t.Errorf("Text(%q, %v) = %q, want %q", c.msg, c.format, got, c.want)
		}
	}
}

// passwordGrant classifies as for the password grant.
func passwordGrant(e *Error) { classifyToken(e, PasswordRealmGrant) }
