package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/internal/api"
	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
)

// newLocalMFA is make dev MFA=required: the emulator asks every login for
// a second factor, and its SMS are printed.
func newLocalMFA(t *testing.T, opts ...api.TokenOption) *local {
	return newLocalWith(t, DefaultCorsOrigins, true, opts...)
}

// mfaToken signs up (once) and logs in, which answers 403 mfa_required.
func (l *local) mfaToken(t *testing.T) string {
	t.Helper()
	const creds = `{"email":"jane@example.com","password":"Correct-Horse-42"}`
	l.json(t, "/signup", creds)
	resp, body, m := l.json(t, "/token", creds)
	tok, _ := m["mfa_token"].(string)
	if resp.StatusCode != 403 || m["code"] != "mfa_required" || tok == "" {
		t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	return tok
}

// The "done when" over real HTTP: mfa_required, enroll an OTP
// app, its code, a token /me accepts; a wrong code; a recovery code once.
func TestDevMFA(t *testing.T) {
	l := newLocalMFA(t)
	tok := l.mfaToken(t)
	bearer := http.Header{"Authorization": {"Bearer " + tok}}
	if resp, body, _ := l.send(t, "GET", "/mfa/authenticators", bearer, ""); resp.StatusCode != 200 || body != "[]" {
		t.Fatalf("authenticators: %d %s", resp.StatusCode, body)
	}
	resp, body, en := l.form(t, "/mfa/enroll", "mfa_token", tok, "type", "otp")
	secret, _ := en["secret"].(string)
	codes, _ := en["recovery_codes"].([]any)
	if resp.StatusCode != 200 || !strings.HasPrefix(en["barcode_uri"].(string), "otpauth://totp/") || len(codes) != 1 ||
		resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("enroll: %d %s", resp.StatusCode, body)
	}
	otp := auth0test.TOTP(secret, time.Now())
	wrong := "000000"
	if otp == wrong {
		wrong = "111111"
	}
	if resp, body, m := l.form(t, "/token", "grant_type", "mfa-otp", "mfa_token", tok, "otp", wrong); resp.StatusCode != 401 || m["code"] != "invalid_mfa_code" {
		t.Fatalf("wrong code: %d %s", resp.StatusCode, body)
	}
	resp, body, m := l.form(t, "/token", "grant_type", "mfa-otp", "mfa_token", tok, "otp", otp)
	at, _ := m["access_token"].(string)
	if resp.StatusCode != 200 || at == "" {
		t.Fatalf("mfa-otp: %d %s", resp.StatusCode, body)
	}
	if resp, body, _ := l.send(t, "GET", "/me", http.Header{"Authorization": {"Bearer " + at}}, ""); resp.StatusCode != 200 {
		t.Fatalf("/me: %d %s", resp.StatusCode, body)
	}

	recovery := codes[0].(string)
	tok = l.mfaToken(t)
	resp, body, m = l.form(t, "/token", "grant_type", "mfa-recovery-code", "mfa_token", tok, "recovery_code", recovery)
	if resp.StatusCode != 200 || m["recovery_code"] == nil || m["recovery_code"] == recovery {
		t.Fatalf("recovery code: %d %s", resp.StatusCode, body)
	}
	if resp, body, m := l.form(t, "/token", "grant_type", "mfa-recovery-code", "mfa_token", tok, "recovery_code", recovery); resp.StatusCode != 401 || m["code"] != "invalid_mfa_code" {
		t.Fatalf("reused recovery code: %d %s", resp.StatusCode, body)
	}
	// The OTP as a JSON string: six digits alone could be part of a timestamp.
	for _, v := range []string{tok, secret, recovery, `"` + otp + `"`, at} {
		if strings.Contains(l.logs.String(), v) {
			t.Fatalf("a credential is in make dev's log:\n%s", l.logs.String())
		}
	}
}

// An SMS factor: the code the emulator "sends" is printed, and it is the
// binding code of the mfa-oob grant.
func TestDevMFAPrintsTheSMS(t *testing.T) {
	l := newLocalMFA(t)
	tok := l.mfaToken(t)
	resp, body, en := l.json(t, "/mfa/enroll", `{"mfa_token":"`+tok+`","type":"oob","channel":"sms","phone_number":"+15555550100"}`)
	if resp.StatusCode != 200 || en["oob_code"] == nil {
		t.Fatalf("enroll: %d %s", resp.StatusCode, body)
	}
	var sms struct{ Kind, Channel, To, Code string }
	json.Unmarshal([]byte(strings.TrimSpace(l.messages.String())), &sms)
	if sms.Kind != auth0test.MessageMFACode || sms.Channel != "sms" || sms.To != "XXXXXXXX0100" || len(sms.Code) != 6 {
		t.Fatalf("printed: %s", l.messages.String())
	}
	resp, body, _ = l.form(t, "/token", "grant_type", "mfa-oob", "mfa_token", tok, "oob_code", en["oob_code"].(string), "binding_code", sms.Code)
	if resp.StatusCode != 200 {
		t.Fatalf("mfa-oob: %d %s", resp.StatusCode, body)
	}
}

func TestDevMFAEnrollmentDisabled(t *testing.T) {
	l := newLocalMFA(t, api.MFAEnrollment(false))
	tok := l.mfaToken(t)
	if resp, body, m := l.form(t, "/mfa/enroll", "mfa_token", tok, "type", "otp"); resp.StatusCode != 403 || m["code"] != "mfa_enrollment_disabled" {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}

func TestDevMFASetting(t *testing.T) {
	for v, want := range map[string]bool{"": false, "required": true} {
		if got, err := devMFA(func(string) string { return v }); err != nil || got != want {
			t.Errorf("MFA=%q: %v %v", v, got, err)
		}
	}
	if _, err := devMFA(func(string) string { return "yes" }); err == nil {
		t.Error("MFA=yes accepted")
	}
}
