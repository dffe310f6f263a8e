package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/internal/contracttest"
	"github.com/auth0-sam-go/authapi/pkg/auth0"
	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
	"github.com/aws/aws-lambda-go/events"
)

// mfaAPI is the token function as main wires it (POST /token and the
// /mfa/* routes behind one router) against an auth0test tenant that
// requires MFA, on a clock the test moves.
type mfaAPI struct {
	*testAPI
	fn  Handler
	now time.Time
}

func newMFAAPI(t *testing.T, cfg auth0test.Config, enroll bool) *mfaAPI {
	t.Helper()
	m := &mfaAPI{now: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	cfg.Clock = func() time.Time { return m.now }
	m.testAPI = newTestAPI(t, cfg)
	m.fn = NewTokenFunction(auth0.NewClient(m.cfg, nil), m.secret, NewLogger(m.logs), MFAEnrollment(enroll))
	m.srv.AddUser(email, goodPassword)
	return m
}

// do sends one request to the token function and decodes the answer,
// checking it against the contract and registering its credentials.
func (m *mfaAPI) do(method, path string, headers map[string]string, body string) (events.APIGatewayV2HTTPResponse, any) {
	m.t.Helper()
	ev := event(method, "application/json", body)
	ev.RawPath, ev.RequestContext.HTTP.Path = path, path
	if body == "" {
		delete(ev.Headers, "content-type")
	}
	for k, v := range headers {
		ev.Headers[k] = v
	}
	noteEvent(ev)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := m.fn(ctx, ev)
	if err != nil {
		m.t.Fatalf("handler error: %v", err)
	}
	if resp.Headers["Content-Type"] != "application/json" || resp.Headers["Cache-Control"] != "no-store" {
		m.t.Fatalf("%s %s: headers %v", method, path, resp.Headers)
	}
	var out any
	if err := json.Unmarshal([]byte(resp.Body), &out); err != nil {
		m.t.Fatalf("body is not JSON: %q", resp.Body)
	}
	if obj, ok := out.(map[string]any); ok {
		noteAnswer(obj)
	}
	// A 405 is declared on the route's own method.
	specMethod := method
	if resp.StatusCode == http.StatusMethodNotAllowed {
		specMethod = strings.Split(resp.Headers["Allow"], ",")[0]
	}
	contracttest.Load(m.t).Check(m.t, specMethod, path, resp.StatusCode, resp.Headers, resp.Body)
	return resp, out
}

func (m *mfaAPI) post(path string, fields map[string]string) (events.APIGatewayV2HTTPResponse, map[string]any) {
	m.t.Helper()
	b, _ := json.Marshal(fields)
	resp, out := m.do("POST", path, nil, string(b))
	obj, _ := out.(map[string]any)
	return resp, obj
}

// login answers 403 mfa_required and returns the mfa_token.
func (m *mfaAPI) login() string {
	m.t.Helper()
	resp, body := m.post("/token", map[string]string{"email": email, "password": goodPassword})
	wantError(m.t, resp, body, http.StatusForbidden, "mfa_required")
	tok, _ := body["mfa_token"].(string)
	if tok == "" {
		m.t.Fatalf("mfa_required without mfa_token: %v", body)
	}
	return tok
}

func (m *mfaAPI) authenticators(tok string) (events.APIGatewayV2HTTPResponse, any) {
	m.t.Helper()
	return m.do("GET", "/mfa/authenticators", map[string]string{"authorization": "Bearer " + tok}, "")
}

// auth0Calls counts the requests auth0test received for path.
func (m *mfaAPI) auth0Calls(path string) int {
	n := 0
	for _, r := range m.srv.Requests() {
		if r.Path == path {
			n++
		}
	}
	return n
}

func TestPasswordLoginAnswersMFARequired(t *testing.T) {
	m := newMFAAPI(t, auth0test.Config{MFARequired: true}, true)
	m.login()
	// Other refusals stay access_denied, without an mfa_token.
	m.srv.BlockUser(email)
	resp, body := m.post("/token", map[string]string{"email": email, "password": goodPassword})
	wantError(t, resp, body, http.StatusForbidden, "access_denied")
	if _, ok := body["mfa_token"]; ok {
		t.Fatalf("access_denied carries an mfa_token: %v", body)
	}
	// Per user: without MFA the login goes through.
	m2 := newMFAAPI(t, auth0test.Config{}, true)
	m2.srv.SetMFA(email, true)
	m2.login()
	m2.srv.SetMFA(email, false)
	if resp, _ := m2.post("/token", map[string]string{"email": email, "password": goodPassword}); resp.StatusCode != http.StatusOK {
		t.Fatalf("MFA off for the user: %d", resp.StatusCode)
	}
}

func TestMFAAuthenticators(t *testing.T) {
	m := newMFAAPI(t, auth0test.Config{MFARequired: true}, true)
	tok := m.login()
	resp, out := m.authenticators(tok)
	if list, ok := out.([]any); resp.StatusCode != 200 || !ok || len(list) != 0 {
		t.Fatalf("not enrolled: %d %s", resp.StatusCode, resp.Body)
	}
	m.srv.EnrollOOB(email, "sms", "+15555550100")
	resp, out = m.authenticators(tok)
	list, _ := out.([]any)
	if resp.StatusCode != 200 || len(list) != 2 {
		t.Fatalf("enrolled: %d %s", resp.StatusCode, resp.Body)
	}
	sms := list[0].(map[string]any)
	if sms["type"] != "oob" || sms["channel"] != "sms" || sms["active"] != true || sms["name"] != "XXXXXXXX0100" ||
		!strings.HasPrefix(sms["id"].(string), "sms|") || list[1].(map[string]any)["type"] != "recovery-code" {
		t.Fatalf("list %s", resp.Body)
	}
	if strings.Contains(resp.Body, "authenticator_type") || strings.Contains(resp.Body, "+1555") {
		t.Fatalf("Auth0's shape or the phone number leaked into the answer: %s", resp.Body)
	}

	before := m.auth0Calls("/mfa/authenticators")
	for _, h := range []map[string]string{
		nil,
		{"authorization": "Basic " + tok},
		{"authorization": "Bearer "},
		{"authorization": "Bearer a\x01b"},
	} {
		resp, out := m.do("GET", "/mfa/authenticators", h, "")
		wantError(t, resp, out.(map[string]any), http.StatusBadRequest, "invalid_request")
	}
	// In the URL it is refused, even with a good header.
	inURL := event("GET", "", "")
	inURL.RawPath, inURL.RequestContext.HTTP.Path = "/mfa/authenticators", "/mfa/authenticators"
	inURL.QueryStringParameters = map[string]string{"mfa_token": tok}
	inURL.Headers["authorization"] = "Bearer " + tok
	r, _ := m.fn(context.Background(), inURL)
	if r.StatusCode != 400 || !strings.Contains(r.Body, "URL") {
		t.Fatalf("mfa_token in the URL: %d %s", r.StatusCode, r.Body)
	}
	if n := m.auth0Calls("/mfa/authenticators"); n != before {
		t.Fatalf("%d refused requests reached Auth0", n-before)
	}

	resp, out = m.authenticators("bm90LWEtdG9rZW4")
	wantError(t, resp, out.(map[string]any), http.StatusUnauthorized, "mfa_token_invalid")
	m.now = m.now.Add(10*time.Minute + time.Second)
	resp, out = m.authenticators(tok)
	wantError(t, resp, out.(map[string]any), http.StatusUnauthorized, "mfa_token_invalid")
}

func TestMFAEnrollOTP(t *testing.T) {
	m := newMFAAPI(t, auth0test.Config{MFARequired: true}, true)
	tok := m.login()
	resp, body := m.post("/mfa/enroll", map[string]string{"mfa_token": tok, "type": "otp"})
	if resp.StatusCode != 200 || body["type"] != "otp" {
		t.Fatalf("%d %v", resp.StatusCode, body)
	}
	secret, _ := body["secret"].(string)
	uri, _ := body["barcode_uri"].(string)
	codes, _ := body["recovery_codes"].([]any)
	if auth0test.TOTP(secret, m.now) == "" || !strings.HasPrefix(uri, "otpauth://totp/") ||
		!strings.Contains(uri, "secret="+secret) || len(codes) != 1 {
		t.Fatalf("enrollment %v", body)
	}
	// Confirmed (as the first MFA grant would), a second one is refused.
	m.srv.EnrollOTP(email)
	tok = m.login()
	resp, body = m.post("/mfa/enroll", map[string]string{"mfa_token": tok, "type": "otp"})
	wantError(t, resp, body, http.StatusConflict, "already_enrolled")
}

func TestMFAEnrollTakesAForm(t *testing.T) {
	m := newMFAAPI(t, auth0test.Config{MFARequired: true}, true)
	tok := m.login()
	ev := event("POST", "application/x-www-form-urlencoded", url.Values{"mfa_token": {tok}, "type": {"oob"},
		"channel": {"sms"}, "phone_number": {"+15555550100"}}.Encode())
	ev.RawPath, ev.RequestContext.HTTP.Path = "/mfa/enroll", "/mfa/enroll"
	resp, body := m.call(m.fn, ev)
	if resp.StatusCode != 200 || body["type"] != "oob" || body["oob_code"] == "" || body["binding_method"] != "prompt" {
		t.Fatalf("%d %v", resp.StatusCode, body)
	}
	msgs := m.srv.Messages()
	if len(msgs) != 1 || msgs[0].Channel != "sms" || msgs[0].To != "+15555550100" {
		t.Fatalf("no SMS sent: %+v", msgs)
	}
}

func TestMFAEnrollRefusesBadRequestsLocally(t *testing.T) {
	m := newMFAAPI(t, auth0test.Config{MFARequired: true}, true)
	tok := m.login()
	for _, f := range []map[string]string{
		{"type": "otp"},
		{"mfa_token": "", "type": "otp"},
		{"mfa_token": "a b", "type": "otp"},
		{"mfa_token": strings.Repeat("a", MaxMFATokenBytes+1), "type": "otp"},
		{"mfa_token": tok},
		{"mfa_token": tok, "type": "push"},
		{"mfa_token": tok, "type": "otp", "channel": "sms"},
		{"mfa_token": tok, "type": "oob"},
		{"mfa_token": tok, "type": "oob", "channel": "voice"},
		{"mfa_token": tok, "type": "oob", "channel": "sms"},
		{"mfa_token": tok, "type": "oob", "channel": "sms", "phone_number": "555-0100"},
		{"mfa_token": tok, "type": "oob", "channel": "email", "phone_number": "+15555550100"},
	} {
		resp, body := m.post("/mfa/enroll", f)
		wantError(t, resp, body, http.StatusBadRequest, "invalid_request")
	}
	if n := m.auth0Calls("/mfa/associate"); n != 0 {
		t.Fatalf("%d refused enrollments reached Auth0", n)
	}
}

func TestMFAEnrollmentDisabled(t *testing.T) {
	m := newMFAAPI(t, auth0test.Config{MFARequired: true}, false)
	tok := m.login()
	resp, body := m.post("/mfa/enroll", map[string]string{"mfa_token": tok, "type": "otp"})
	wantError(t, resp, body, http.StatusForbidden, "mfa_enrollment_disabled")
	if n := m.auth0Calls("/mfa/associate"); n != 0 {
		t.Fatalf("%d enrollments reached Auth0", n)
	}
	// The rest of MFA still works.
	if resp, _ := m.authenticators(tok); resp.StatusCode != 200 {
		t.Fatalf("authenticators: %d", resp.StatusCode)
	}
}

func TestMFAEnrollmentSetting(t *testing.T) {
	for v, want := range map[string]bool{"": true, "enabled": true, "disabled": false} {
		got, err := MFAEnrollmentEnabled(func(string) string { return v })
		if err != nil || got != want {
			t.Errorf("%q: %v %v", v, got, err)
		}
	}
	if _, err := MFAEnrollmentEnabled(func(string) string { return "off" }); err == nil || !strings.Contains(err.Error(), EnvMFAEnrollment) {
		t.Errorf("off: %v", err)
	}
}

func TestMFAChallenge(t *testing.T) {
	m := newMFAAPI(t, auth0test.Config{MFARequired: true}, true)
	tok := m.login()
	resp, body := m.post("/mfa/challenge", map[string]string{"mfa_token": tok})
	wantError(t, resp, body, http.StatusForbidden, "mfa_enrollment_required")

	m.srv.EnrollOTP(email)
	m.srv.EnrollOOB(email, "email", email)
	tok = m.login()
	resp, body = m.post("/mfa/challenge", map[string]string{"mfa_token": tok, "challenge_type": "otp"})
	if resp.StatusCode != 200 || body["challenge_type"] != "otp" || body["oob_code"] != nil {
		t.Fatalf("otp: %d %v", resp.StatusCode, body)
	}
	_, out := m.authenticators(tok)
	var oobID string
	for _, a := range out.([]any) {
		if a := a.(map[string]any); a["type"] == "oob" {
			oobID = a["id"].(string)
		}
	}
	resp, body = m.post("/mfa/challenge", map[string]string{"mfa_token": tok, "authenticator_id": oobID})
	if resp.StatusCode != 200 || body["challenge_type"] != "oob" || body["oob_code"] == "" || body["binding_method"] != "prompt" {
		t.Fatalf("oob: %d %v", resp.StatusCode, body)
	}
	if msgs := m.srv.Messages(); len(msgs) != 1 || msgs[0].Kind != auth0test.MessageMFACode || msgs[0].To != email {
		t.Fatalf("messages %+v", msgs)
	}
	for _, f := range []map[string]string{
		{"mfa_token": tok, "challenge_type": "push"},
		{"mfa_token": tok, "authenticator_id": "sms|x y"},
		{"challenge_type": "otp"},
	} {
		resp, body := m.post("/mfa/challenge", f)
		wantError(t, resp, body, http.StatusBadRequest, "invalid_request")
	}
	m.now = m.now.Add(11 * time.Minute)
	resp, body = m.post("/mfa/challenge", map[string]string{"mfa_token": tok})
	wantError(t, resp, body, http.StatusUnauthorized, "mfa_token_invalid")
}

func TestMFARoutesMethods(t *testing.T) {
	m := newMFAAPI(t, auth0test.Config{MFARequired: true}, true)
	for path, allow := range map[string]string{"/mfa/authenticators": "GET", "/mfa/enroll": "POST", "/mfa/challenge": "POST"} {
		method := "POST"
		if allow == "POST" {
			method = "GET"
		}
		resp, out := m.do(method, path, nil, "")
		wantError(t, resp, out.(map[string]any), http.StatusMethodNotAllowed, "method_not_allowed")
		if resp.Headers["Allow"] != allow {
			t.Errorf("%s %s: Allow %q", method, path, resp.Headers["Allow"])
		}
	}
}

// TestMFACallsAreNeverRetried: an Auth0 5xx or a dropped connection on an
// enrollment or a challenge is one request upstream and a 502 here.
func TestMFACallsAreNeverRetried(t *testing.T) {
	m := newMFAAPI(t, auth0test.Config{MFARequired: true}, true)
	tok := m.login()
	for _, c := range []struct {
		route, upstream string
		body            map[string]string
	}{
		{"/mfa/enroll", "/mfa/associate", map[string]string{"mfa_token": tok, "type": "otp"}},
		{"/mfa/challenge", "/mfa/challenge", map[string]string{"mfa_token": tok}},
	} {
		for _, f := range []auth0test.Fault{{Status: 503, Body: `{"error":"server_error"}`}, {Drop: true}} {
			m.srv.ResetRequests()
			m.srv.Fault(c.upstream, f)
			resp, body := m.post(c.route, c.body)
			m.srv.ClearFaults()
			wantError(t, resp, body, http.StatusBadGateway, "upstream_error")
			if n := m.auth0Calls(c.upstream); n != 1 {
				t.Errorf("%s with %+v: %d requests reached Auth0, want 1", c.route, f, n)
			}
		}
	}
}

// TestMFASecretRotation: a rejected client secret is re-read, and the call
// made once more with the new one (the rejection spent no code).
func TestMFASecretRotation(t *testing.T) {
	m := newMFAAPI(t, auth0test.Config{MFARequired: true}, true)
	tok := m.login()
	good := m.secret.value
	m.secret.set("stale-secret-value", nil)
	refreshTo(m.secret, good)
	m.srv.ResetRequests()
	resp, body := m.post("/mfa/enroll", map[string]string{"mfa_token": tok, "type": "otp"})
	if resp.StatusCode != 200 || m.auth0Calls("/mfa/associate") != 2 || m.secret.refreshed != 1 {
		t.Fatalf("%d %v, %d calls, %d refreshes", resp.StatusCode, body, m.auth0Calls("/mfa/associate"), m.secret.refreshed)
	}
	m.secret.set("", errBoom)
	resp, body = m.post("/mfa/challenge", map[string]string{"mfa_token": tok})
	wantError(t, resp, body, http.StatusServiceUnavailable, "secret_unavailable")
}

// enrollOTP enrolls an authenticator app through the API and returns its
// secret and the user's recovery code.
func (m *mfaAPI) enrollOTP(tok string) (secret, recovery string) {
	m.t.Helper()
	resp, body := m.post("/mfa/enroll", map[string]string{"mfa_token": tok, "type": "otp"})
	codes, _ := body["recovery_codes"].([]any)
	if resp.StatusCode != 200 || len(codes) != 1 {
		m.t.Fatalf("enroll: %d %v", resp.StatusCode, body)
	}
	return body["secret"].(string), codes[0].(string)
}

// TestMFAOTPLogin is the walk-through: password → mfa_required →
// enroll an authenticator app → its code → tokens for the user.
func TestMFAOTPLogin(t *testing.T) {
	m := newMFAAPI(t, auth0test.Config{MFARequired: true}, true)
	tok := m.login()
	secret, _ := m.enrollOTP(tok)

	wrong := "000000"
	if auth0test.TOTP(secret, m.now) == wrong {
		wrong = "111111"
	}
	resp, body := m.post("/token", map[string]string{"grant_type": "mfa-otp", "mfa_token": tok, "otp": wrong})
	wantError(t, resp, body, http.StatusUnauthorized, "invalid_mfa_code")
	resp, body = m.post("/token", map[string]string{"grant_type": "mfa-otp", "mfa_token": tok, "otp": auth0test.TOTP(secret, m.now)})
	if resp.StatusCode != 200 || body["token_type"] != "Bearer" || body["access_token"] != body["data"] || body["recovery_code"] != nil {
		t.Fatalf("%d %v", resp.StatusCode, body)
	}
	sub, _ := m.srv.UserID(email)
	if claims := jwtClaims(t, body["access_token"].(string)); claims["sub"] != sub || claims["iss"] != m.srv.Issuer() {
		t.Fatalf("claims %v", claims)
	}
	// The enrollment is confirmed: a new login lists it as active, and a
	// code of the next step logs in again (the last one is spent).
	tok = m.login()
	_, out := m.authenticators(tok)
	if list := out.([]any); len(list) < 1 || list[0].(map[string]any)["active"] != true {
		t.Fatalf("after the first MFA login: %v", list)
	}
	m.now = m.now.Add(30 * time.Second)
	ev := event("POST", "application/x-www-form-urlencoded", url.Values{"grant_type": {auth0.MFAOTPGrant},
		"mfa_token": {tok}, "otp": {auth0test.TOTP(secret, m.now)}}.Encode())
	ev.RawPath, ev.RequestContext.HTTP.Path = "/token", "/token"
	if resp, body := m.call(m.fn, ev); resp.StatusCode != 200 {
		t.Fatalf("form, full grant URI: %d %v", resp.StatusCode, body)
	}
}

func TestMFARecoveryCodeLogin(t *testing.T) {
	m := newMFAAPI(t, auth0test.Config{MFARequired: true}, true)
	tok := m.login()
	secret, recovery := m.enrollOTP(tok)
	m.post("/token", map[string]string{"grant_type": "mfa-otp", "mfa_token": tok, "otp": auth0test.TOTP(secret, m.now)})

	tok = m.login()
	resp, body := m.post("/token", map[string]string{"grant_type": "mfa-recovery-code", "mfa_token": tok, "recovery_code": recovery})
	next, _ := body["recovery_code"].(string)
	if resp.StatusCode != 200 || body["access_token"] == nil || next == "" || next == recovery {
		t.Fatalf("recovery code: %d %v", resp.StatusCode, body)
	}
	resp, body = m.post("/token", map[string]string{"grant_type": auth0.MFARecoveryCodeGrant, "mfa_token": tok, "recovery_code": recovery})
	wantError(t, resp, body, http.StatusUnauthorized, "invalid_mfa_code")
	resp, body = m.post("/token", map[string]string{"grant_type": "mfa-recovery-code", "mfa_token": tok, "recovery_code": next})
	if resp.StatusCode != 200 {
		t.Fatalf("the new recovery code: %d %v", resp.StatusCode, body)
	}
}

func TestMFAOOBLogin(t *testing.T) {
	m := newMFAAPI(t, auth0test.Config{MFARequired: true}, true)
	m.srv.EnrollOOB(email, "sms", "+15555550100")
	tok := m.login()
	challenge := func() string {
		resp, body := m.post("/mfa/challenge", map[string]string{"mfa_token": tok, "challenge_type": "oob"})
		if resp.StatusCode != 200 || body["challenge_type"] != "oob" {
			t.Fatalf("challenge: %d %v", resp.StatusCode, body)
		}
		return body["oob_code"].(string)
	}
	poll := func(oob string) (events.APIGatewayV2HTTPResponse, map[string]any) {
		return m.post("/token", map[string]string{"grant_type": "mfa-oob", "mfa_token": tok, "oob_code": oob})
	}

	oob := challenge()
	resp, body := poll(oob)
	wantError(t, resp, body, http.StatusBadRequest, "authorization_pending")
	if resp.Headers["Retry-After"] != "5" {
		t.Fatalf("authorization_pending: Retry-After %q", resp.Headers["Retry-After"])
	}
	resp, body = poll(oob)
	wantError(t, resp, body, http.StatusTooManyRequests, "slow_down")
	if resp.Headers["Retry-After"] == "" {
		t.Fatal("slow_down without Retry-After")
	}
	m.srv.RejectOOB(oob)
	m.now = m.now.Add(6 * time.Second)
	resp, body = poll(oob)
	wantError(t, resp, body, http.StatusForbidden, "access_denied")

	oob = challenge()
	m.srv.ApproveOOB(oob)
	if resp, body = poll(oob); resp.StatusCode != 200 || body["access_token"] == nil {
		t.Fatalf("approved: %d %v", resp.StatusCode, body)
	}

	// With the code the SMS carried.
	oob = challenge()
	msgs := m.srv.Messages()
	code := msgs[len(msgs)-1].Code
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	resp, body = m.post("/token", map[string]string{"grant_type": "mfa-oob", "mfa_token": tok, "oob_code": oob, "binding_code": wrong})
	wantError(t, resp, body, http.StatusUnauthorized, "invalid_mfa_code")
	resp, body = m.post("/token", map[string]string{"grant_type": "mfa-oob", "mfa_token": tok, "oob_code": oob, "binding_code": code})
	if resp.StatusCode != 200 {
		t.Fatalf("binding code: %d %v", resp.StatusCode, body)
	}
}

func TestMFAGrantRefusals(t *testing.T) {
	m := newMFAAPI(t, auth0test.Config{MFARequired: true}, true)
	m.srv.EnrollOTP(email)
	tok := m.login()
	before := m.auth0Calls("/oauth/token")
	for _, f := range []map[string]string{
		{"grant_type": "mfa-otp", "otp": "123456"},
		{"grant_type": "mfa-otp", "mfa_token": tok},
		{"grant_type": "mfa-otp", "mfa_token": tok, "otp": ""},
		{"grant_type": "mfa-otp", "mfa_token": "a\nb", "otp": "123456"},
		{"grant_type": "mfa-oob", "mfa_token": tok},
		{"grant_type": "mfa-oob", "mfa_token": tok, "oob_code": "x", "binding_code": ""},
		{"grant_type": "mfa-recovery-code", "mfa_token": tok},
	} {
		resp, body := m.post("/token", f)
		wantError(t, resp, body, http.StatusBadRequest, "invalid_request")
	}
	resp, body := m.post("/token", map[string]string{"grant_type": "mfa-push", "mfa_token": tok})
	wantError(t, resp, body, http.StatusBadRequest, "unsupported_grant_type")
	if n := m.auth0Calls("/oauth/token"); n != before {
		t.Fatalf("%d refused grants reached Auth0", n-before)
	}

	// A foreign or expired mfa_token: sign in again.
	resp, body = m.post("/token", map[string]string{"grant_type": "mfa-otp", "mfa_token": "bm90LWEtdG9rZW4", "otp": "123456"})
	wantError(t, resp, body, http.StatusUnauthorized, "mfa_token_invalid")
	m.now = m.now.Add(10*time.Minute + time.Second)
	resp, body = m.post("/token", map[string]string{"grant_type": "mfa-otp", "mfa_token": tok, "otp": "123456"})
	wantError(t, resp, body, http.StatusUnauthorized, "mfa_token_invalid")
}

func TestMFATooManyWrongCodes(t *testing.T) {
	m := newMFAAPI(t, auth0test.Config{MFARequired: true}, true)
	secret, _, _ := m.srv.EnrollOTP(email)
	tok := m.login()
	wrong := "000000"
	if auth0test.TOTP(secret, m.now) == wrong {
		wrong = "111111"
	}
	var resp events.APIGatewayV2HTTPResponse
	var body map[string]any
	for i := 0; i < 11; i++ {
		resp, body = m.post("/token", map[string]string{"grant_type": "mfa-otp", "mfa_token": tok, "otp": wrong})
		if resp.StatusCode != http.StatusUnauthorized {
			break
		}
	}
	wantError(t, resp, body, http.StatusTooManyRequests, "too_many_attempts")
}

// TestMFAGrantsAreNeverRetried: an Auth0 5xx or a dropped connection on an
// MFA grant is one request upstream: the code may have been spent, and a
// recovery code's replacement lost with the answer.
func TestMFAGrantsAreNeverRetried(t *testing.T) {
	m := newMFAAPI(t, auth0test.Config{MFARequired: true}, true)
	secret, recovery, _ := m.srv.EnrollOTP(email)
	for _, f := range []auth0test.Fault{{Status: 503, Body: `{"error":"server_error"}`}, {Drop: true}} {
		for _, g := range []map[string]string{
			{"grant_type": "mfa-otp", "otp": auth0test.TOTP(secret, m.now)},
			{"grant_type": "mfa-recovery-code", "recovery_code": recovery},
			{"grant_type": "mfa-oob", "oob_code": "oob-code-value"},
		} {
			g["mfa_token"] = m.login()
			m.srv.ResetRequests()
			m.srv.Fault("/oauth/token", f)
			resp, body := m.post("/token", g)
			m.srv.ClearFaults()
			wantError(t, resp, body, http.StatusBadGateway, "upstream_error")
			if n := m.auth0Calls("/oauth/token"); n != 1 {
				t.Errorf("%s with %+v: %d requests reached Auth0, want 1", g["grant_type"], f, n)
			}
		}
	}
}
