package auth0test_test

import (
	"encoding/base32"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
)

const (
	otpGrant      = "http://auth0.com/oauth/grant-type/mfa-otp"
	oobGrant      = "http://auth0.com/oauth/grant-type/mfa-oob"
	recoveryGrant = "http://auth0.com/oauth/grant-type/mfa-recovery-code"

	invalidOTP     = `{"error":"invalid_grant","error_description":"Invalid otp_code."}`
	expiredMFA     = `{"error":"expired_token","error_description":"mfa_token is expired"}`
	malformedMFA   = `{"error":"invalid_grant","error_description":"Malformed mfa_token"}`
	tooManyCodes   = `{"error":"too_many_attempts","error_description":"Too many failed codes. Wait for some minutes before retrying."}`
	pendingOOB     = `{"error":"authorization_pending","error_description":"Authorization pending: please repeat the request in a few seconds."}`
	notEnrolled    = `{"error":"unsupported_challenge_type","error_description":"User is not enrolled. You can use /mfa/associate endpoint to enroll the first authenticator."}`
	alreadyEnrolld = `{"error":"access_denied","error_description":"User is already enrolled."}`
)

// TestTOTPRFC6238Vectors checks TOTP against RFC 6238 appendix B (SHA-1,
// key "12345678901234567890"): its 8-digit codes end in our 6 digits.
func TestTOTPRFC6238Vectors(t *testing.T) {
	secret := base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))
	for unix, want := range map[int64]string{
		59: "94287082", 1111111109: "07081804", 1111111111: "14050471",
		1234567890: "89005924", 2000000000: "69279037", 20000000000: "65353130",
	} {
		if got := auth0test.TOTP(secret, time.Unix(unix, 0)); got != want[2:] {
			t.Errorf("T=%d: %s, want %s", unix, got, want[2:])
		}
	}
	// Case, padding and spaces do not matter; garbage gives "".
	lowered := strings.ToLower(strings.TrimRight(secret, "="))
	if auth0test.TOTP(lowered[:8]+" "+lowered[8:], time.Unix(59, 0)) != "287082" {
		t.Error("lower-case, unpadded, spaced secret")
	}
	for _, bad := range []string{"", "not base32!", "1"} {
		if got := auth0test.TOTP(bad, time.Unix(59, 0)); got != "" {
			t.Errorf("TOTP(%q) = %q", bad, got)
		}
	}
}

// mfaLogin logs in a user for whom MFA applies and returns the mfa_token.
func mfaLogin(t *testing.T, s *auth0test.Server, email, scope string) string {
	t.Helper()
	a := login(t, s, email, scope)
	m := a.decode(t)
	if a.status != 403 || m["error"] != "mfa_required" || m["mfa_token"] == "" {
		t.Fatalf("want mfa_required: %d %s", a.status, a.body)
	}
	return m["mfa_token"].(string)
}

func bearer(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }

func authenticators(t *testing.T, s *auth0test.Server, mfaToken string) []map[string]any {
	t.Helper()
	a := mustDo(t, "GET", s.URL+"/mfa/authenticators", "", "", bearer(mfaToken))
	var list []map[string]any
	if a.status != 200 || json.Unmarshal(a.body, &list) != nil || list == nil {
		t.Fatalf("authenticators: %d %s", a.status, a.body)
	}
	return list
}

func mfaGrant(t *testing.T, s *auth0test.Server, grant, mfaToken string, kv ...string) answer {
	t.Helper()
	return postToken(t, s, appForm(s, append([]string{"grant_type", grant, "mfa_token", mfaToken}, kv...)...), nil)
}

func TestMFAEnrollOTPAndLogIn(t *testing.T) {
	clock := newClock()
	s := newServer(t, auth0test.Config{MFARequired: true, Clock: clock.Now})
	s.AddUser("u@example.com", goodPass)
	mt := mfaLogin(t, s, "u@example.com", "openid offline_access")

	if list := authenticators(t, s, mt); len(list) != 0 {
		t.Fatalf("before enrolling: %v", list)
	}
	postJSON(t, s, "/mfa/challenge", appJSON(s, "mfa_token", mt), nil).is(t, 400, notEnrolled)

	a := postJSON(t, s, "/mfa/associate", map[string]any{"client_id": s.Config().ClientID,
		"client_secret": s.Config().ClientSecret, "authenticator_types": []string{"otp"}}, bearer(mt))
	var enrolled struct {
		Type          string   `json:"authenticator_type"`
		Secret        string   `json:"secret"`
		BarcodeURI    string   `json:"barcode_uri"`
		RecoveryCodes []string `json:"recovery_codes"`
	}
	if a.status != 200 || json.Unmarshal(a.body, &enrolled) != nil || enrolled.Type != "otp" || len(enrolled.RecoveryCodes) != 1 ||
		!regexp.MustCompile(`^[A-Z2-7]{32}$`).MatchString(enrolled.Secret) ||
		!regexp.MustCompile(`^[A-Z0-9]{24}$`).MatchString(enrolled.RecoveryCodes[0]) {
		t.Fatalf("associate: %d %s", a.status, a.body)
	}
	wantURI := "otpauth://totp/auth0test:u@example.com?secret=" + enrolled.Secret + "&issuer=auth0test&algorithm=SHA1&digits=6&period=30"
	if enrolled.BarcodeURI != wantURI {
		t.Errorf("barcode_uri %q\nwant        %q", enrolled.BarcodeURI, wantURI)
	}
	list := authenticators(t, s, mt)
	if len(list) != 2 || list[0]["authenticator_type"] != "otp" || list[0]["active"] != false ||
		!strings.HasPrefix(list[0]["id"].(string), "totp|dev_") || list[1]["authenticator_type"] != "recovery-code" {
		t.Fatalf("pending enrollment: %v", list)
	}

	// A wrong code, then the app's code confirms the enrollment and logs in.
	mfaGrant(t, s, otpGrant, mt, "otp", "000000").is(t, 403, invalidOTP)
	code := auth0test.TOTP(enrolled.Secret, clock.Now())
	tok := mfaGrant(t, s, otpGrant, mt, "otp", code).ok(t)
	if tok.RefreshToken == "" || tok.Scope != "openid offline_access" {
		t.Errorf("tokens: %+v", tok)
	}
	if c := claimsOf(t, tok.IDToken); !reflect.DeepEqual(c["amr"], []any{"mfa"}) {
		t.Errorf("id token amr %v", c["amr"])
	}
	if c := claimsOf(t, tok.AccessToken); c["gty"] != "password" {
		t.Errorf("access token gty %v", c["gty"])
	}
	for _, a := range authenticators(t, s, mt) {
		if a["active"] != true {
			t.Errorf("not active after the first code: %v", a)
		}
	}
	// The same code cannot be replayed; the next step's code works.
	mfaGrant(t, s, otpGrant, mt, "otp", code).is(t, 403, invalidOTP)
	clock.Add(30 * time.Second)
	mfaGrant(t, s, otpGrant, mt, "otp", auth0test.TOTP(enrolled.Secret, clock.Now())).ok(t)

	// Enrolled: associate with the mfa_token is refused, challenge works.
	postJSON(t, s, "/mfa/associate", map[string]any{"client_id": s.Config().ClientID,
		"client_secret": s.Config().ClientSecret, "authenticator_types": []string{"otp"}}, bearer(mt)).is(t, 403, alreadyEnrolld)
	postJSON(t, s, "/mfa/challenge", appJSON(s, "mfa_token", mt, "challenge_type", "otp oob"), nil).is(t, 200, `{"challenge_type":"otp"}`)
	postJSON(t, s, "/mfa/challenge", appJSON(s, "mfa_token", mt, "challenge_type", "oob"), nil).is(t, 400,
		`{"error":"unsupported_challenge_type","error_description":"User does not have an active authenticator of the requested challenge_type or authenticator_id."}`)
}

func TestMFAOTPDriftWindow(t *testing.T) {
	clock := newClock()
	s := newServer(t, auth0test.Config{MFARequired: true, Clock: clock.Now})
	s.AddUser("u@example.com", goodPass)
	secret, _, _ := s.EnrollOTP("u@example.com")
	mt := mfaLogin(t, s, "u@example.com", "")
	now := clock.Now()
	mfaGrant(t, s, otpGrant, mt, "otp", auth0test.TOTP(secret, now.Add(-60*time.Second))).is(t, 403, invalidOTP)
	mfaGrant(t, s, otpGrant, mt, "otp", auth0test.TOTP(secret, now.Add(60*time.Second))).is(t, 403, invalidOTP)
	mfaGrant(t, s, otpGrant, mt, "otp", auth0test.TOTP(secret, now.Add(-30*time.Second))).ok(t)
	mfaGrant(t, s, otpGrant, mt, "otp", auth0test.TOTP(secret, now.Add(30*time.Second))).ok(t)
}

func TestMFARecoveryCodeIsSingleUse(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	s.AddUser("u@example.com", goodPass)
	s.RequireMFA("u@example.com")
	_, rc, ok := s.EnrollOTP("u@example.com")
	if !ok {
		t.Fatal("EnrollOTP")
	}
	mt := mfaLogin(t, s, "u@example.com", "openid")
	tok := mfaGrant(t, s, recoveryGrant, mt, "recovery_code", strings.ToLower(rc)).ok(t)
	if tok.RecoveryCode == "" || tok.RecoveryCode == rc || tok.IDToken == "" {
		t.Fatalf("answer %+v", tok)
	}
	const invalid = `{"error":"invalid_grant","error_description":"Invalid recovery_code."}`
	mfaGrant(t, s, recoveryGrant, mt, "recovery_code", rc).is(t, 403, invalid)
	next := mfaGrant(t, s, recoveryGrant, mt, "recovery_code", tok.RecoveryCode).ok(t)
	mfaGrant(t, s, recoveryGrant, mt, "recovery_code", tok.RecoveryCode).is(t, 403, invalid)
	mfaGrant(t, s, recoveryGrant, mt, "recovery_code", next.RecoveryCode).ok(t)
	mfaGrant(t, s, recoveryGrant, mt).is(t, 400,
		`{"error":"invalid_request","error_description":"Missing required parameter: recovery_code"}`)
}

func TestMFATokenExpiresAfterTenMinutes(t *testing.T) {
	clock := newClock()
	s := newServer(t, auth0test.Config{MFARequired: true, Clock: clock.Now})
	s.AddUser("u@example.com", goodPass)
	secret, _, _ := s.EnrollOTP("u@example.com")
	mt := mfaLogin(t, s, "u@example.com", "")
	clock.Add(10*time.Minute - time.Second)
	authenticators(t, s, mt) // still valid
	clock.Add(time.Second)
	mfaGrant(t, s, otpGrant, mt, "otp", auth0test.TOTP(secret, clock.Now())).is(t, 401, expiredMFA)
	postJSON(t, s, "/mfa/challenge", appJSON(s, "mfa_token", mt), nil).is(t, 401, expiredMFA)
	mustDo(t, "GET", s.URL+"/mfa/authenticators", "", "", bearer(mt)).is(t, 401, expiredMFA)
}

func TestMFATokenMalformedForeignOrMissing(t *testing.T) {
	s := newServer(t, auth0test.Config{MFARequired: true})
	s.AddUser("u@example.com", goodPass)
	mt := mfaLogin(t, s, "u@example.com", "")
	flip := map[byte]byte{'A': 'B'}[mt[10]]
	if flip == 0 {
		flip = 'A'
	}
	tampered := mt[:10] + string(flip) + mt[11:]
	for _, bad := range []string{tampered, "Fe26.2**garbage", "x"} {
		mfaGrant(t, s, otpGrant, bad, "otp", "123456").is(t, 403, malformedMFA)
		mustDo(t, "GET", s.URL+"/mfa/authenticators", "", "", bearer(bad)).is(t, 403, malformedMFA)
	}
	mfaGrant(t, s, otpGrant, "", "otp", "123456").is(t, 400,
		`{"error":"invalid_request","error_description":"Missing required parameter: mfa_token"}`)
	mustDo(t, "GET", s.URL+"/mfa/authenticators", "", "", nil).is(t, 401,
		`{"error":"unauthorized","error_description":"Missing authentication"}`)
	// Another application's credentials with this mfa_token.
	m2m := s.Config().M2M
	postJSON(t, s, "/mfa/challenge", map[string]any{"client_id": m2m.ID, "client_secret": m2m.Secret, "mfa_token": mt}, nil).
		is(t, 400, `{"error":"invalid_request","error_description":"mfa_token not issued to this client"}`)
	bad := appJSON(s, "mfa_token", mt)
	bad["client_secret"] = "wrong"
	postJSON(t, s, "/mfa/challenge", bad, nil).is(t, 401, `{"error":"access_denied","error_description":"Unauthorized"}`)
	// The M2M application has no MFA grants.
	postToken(t, s, url.Values{"grant_type": {otpGrant}, "client_id": {m2m.ID}, "client_secret": {m2m.Secret},
		"mfa_token": {mt}, "otp": {"123456"}}, nil).is(t, 403,
		`{"error":"unauthorized_client","error_description":"Grant type 'http://auth0.com/oauth/grant-type/mfa-otp' not allowed for the client."}`)
	// A deleted user's token names nobody.
	s.DeleteUser("u@example.com")
	mfaGrant(t, s, otpGrant, mt, "otp", "123456").is(t, 403, malformedMFA)
}

func TestMFATooManyWrongCodes(t *testing.T) {
	clock := newClock()
	s := newServer(t, auth0test.Config{MFARequired: true, Clock: clock.Now})
	s.AddUser("u@example.com", goodPass)
	secret, rc, _ := s.EnrollOTP("u@example.com")
	mt := mfaLogin(t, s, "u@example.com", "")
	for i := range 10 {
		wrong := fmt.Sprintf("%06d", i)
		if wrong == auth0test.TOTP(secret, clock.Now()) {
			wrong = "999999x"
		}
		mfaGrant(t, s, otpGrant, mt, "otp", wrong).is(t, 403, invalidOTP)
	}
	// Throttled now, even with right codes, and across factors.
	mfaGrant(t, s, otpGrant, mt, "otp", auth0test.TOTP(secret, clock.Now())).is(t, 429, tooManyCodes)
	mfaGrant(t, s, recoveryGrant, mt, "recovery_code", rc).is(t, 429, tooManyCodes)
	// One attempt comes back every 6 minutes.
	clock.Add(6 * time.Minute)
	mt = mfaLogin(t, s, "u@example.com", "")
	mfaGrant(t, s, otpGrant, mt, "otp", "x").is(t, 403, invalidOTP)
	mfaGrant(t, s, otpGrant, mt, "otp", auth0test.TOTP(secret, clock.Now())).is(t, 429, tooManyCodes)
	clock.Add(6 * time.Minute)
	mfaGrant(t, s, otpGrant, mt, "otp", auth0test.TOTP(secret, clock.Now())).ok(t)
}

type oobAnswer struct {
	ChallengeType string `json:"challenge_type"`
	OOBCode       string `json:"oob_code"`
	BindingMethod string `json:"binding_method"`
}

func challengeOOB(t *testing.T, s *auth0test.Server, mt string) string {
	t.Helper()
	a := postJSON(t, s, "/mfa/challenge", appJSON(s, "mfa_token", mt, "challenge_type", "oob"), nil)
	var o oobAnswer
	if a.status != 200 || json.Unmarshal(a.body, &o) != nil || o.ChallengeType != "oob" || o.OOBCode == "" || o.BindingMethod != "prompt" {
		t.Fatalf("challenge: %d %s", a.status, a.body)
	}
	return o.OOBCode
}

func lastMessage(t *testing.T, s *auth0test.Server) auth0test.Message {
	t.Helper()
	ms := s.Messages()
	if len(ms) == 0 {
		t.Fatal("no message sent")
	}
	return ms[len(ms)-1]
}

func TestMFAOOBBindingCode(t *testing.T) {
	s := newServer(t, auth0test.Config{MFARequired: true})
	s.AddUser("u@example.com", goodPass)
	s.EnrollOOB("u@example.com", "sms", "+15551234567")
	mt := mfaLogin(t, s, "u@example.com", "")
	list := authenticators(t, s, mt)
	if list[0]["oob_channel"] != "sms" || list[0]["name"] != "XXXXXXXX4567" || !strings.HasPrefix(list[0]["id"].(string), "sms|dev_") {
		t.Errorf("authenticators %v", list)
	}
	oob := challengeOOB(t, s, mt)
	m := lastMessage(t, s)
	if m.Kind != auth0test.MessageMFACode || m.Channel != "sms" || m.To != "+15551234567" || !regexp.MustCompile(`^\d{6}$`).MatchString(m.Code) {
		t.Fatalf("message %+v", m)
	}
	wrong := "000000"
	if m.Code == wrong {
		wrong = "111111"
	}
	mfaGrant(t, s, oobGrant, mt, "oob_code", oob, "binding_code", wrong).is(t, 403,
		`{"error":"invalid_grant","error_description":"Invalid binding_code."}`)
	mfaGrant(t, s, oobGrant, mt, "oob_code", oob, "binding_code", m.Code).ok(t)
	// Single use.
	mfaGrant(t, s, oobGrant, mt, "oob_code", oob, "binding_code", m.Code).is(t, 403,
		`{"error":"invalid_grant","error_description":"Invalid oob_code."}`)
	// An oob_code belongs to the mfa_token that asked for it.
	other := mfaLogin(t, s, "u@example.com", "")
	oob = challengeOOB(t, s, mt)
	mfaGrant(t, s, oobGrant, other, "oob_code", oob, "binding_code", lastMessage(t, s).Code).is(t, 400,
		`{"error":"invalid_request","error_description":"The oob_code doesn't match the mfa_token"}`)
}

func TestMFAOOBPollingApproveReject(t *testing.T) {
	clock := newClock()
	s := newServer(t, auth0test.Config{MFARequired: true, Clock: clock.Now})
	s.AddUser("u@example.com", goodPass)
	s.EnrollOOB("u@example.com", "email", "u@example.com")
	mt := mfaLogin(t, s, "u@example.com", "openid")

	oob := challengeOOB(t, s, mt)
	mfaGrant(t, s, oobGrant, mt, "oob_code", oob).is(t, 400, pendingOOB)
	mfaGrant(t, s, oobGrant, mt, "oob_code", oob).is(t, 400,
		`{"error":"slow_down","error_description":"You are polling faster than allowed. Try again in 5 seconds."}`)
	clock.Add(5 * time.Second)
	mfaGrant(t, s, oobGrant, mt, "oob_code", oob).is(t, 400, pendingOOB)
	if !s.ApproveOOB(oob) || s.ApproveOOB("nope") {
		t.Fatal("ApproveOOB")
	}
	mfaGrant(t, s, oobGrant, mt, "oob_code", oob).ok(t)

	oob = challengeOOB(t, s, mt)
	s.RejectOOB(oob)
	// Final, even with the right binding code.
	mfaGrant(t, s, oobGrant, mt, "oob_code", oob, "binding_code", lastMessage(t, s).Code).is(t, 400,
		`{"error":"access_denied","error_description":"MFA Authorization rejected."}`)
	if s.ApproveOOB(oob) {
		t.Error("a rejected challenge was approved")
	}

}

func TestMFAOOBCodeExpires(t *testing.T) {
	clock := newClock()
	s := newServer(t, auth0test.Config{MFARequired: true, Clock: clock.Now})
	s.AddUser("u@example.com", goodPass)
	s.EnrollOOB("u@example.com", "sms", "+15551234567")
	mt := mfaLogin(t, s, "u@example.com", "")
	oob := challengeOOB(t, s, mt)
	clock.Add(5 * time.Minute)
	mfaGrant(t, s, oobGrant, mt, "oob_code", oob, "binding_code", lastMessage(t, s).Code).is(t, 401,
		`{"error":"expired_token","error_description":"oob_code is expired"}`)
}

func TestMFAAssociateOOBThenConfirm(t *testing.T) {
	s := newServer(t, auth0test.Config{MFARequired: true})
	s.AddUser("u@example.com", goodPass)
	mt := mfaLogin(t, s, "u@example.com", "")
	cfg := s.Config()
	assoc := func(kv map[string]any) answer {
		body := map[string]any{"client_id": cfg.ClientID, "client_secret": cfg.ClientSecret}
		for k, v := range kv {
			body[k] = v
		}
		return postJSON(t, s, "/mfa/associate", body, bearer(mt))
	}
	assoc(map[string]any{"authenticator_types": []string{"oob"}, "oob_channels": []string{"sms"}, "phone_number": "555"}).is(t, 400,
		`{"error":"invalid_request","error_description":"phone_number must be in E.164 format"}`)
	assoc(map[string]any{"authenticator_types": []string{"oob"}, "oob_channels": []string{"auth0"}}).is(t, 400,
		`{"error":"invalid_request","error_description":"oob_channels must be [\"sms\"] or [\"email\"]"}`)
	assoc(map[string]any{"authenticator_types": []string{"webauthn"}}).is(t, 400,
		`{"error":"invalid_request","error_description":"authenticator_types must be [\"otp\"] or [\"oob\"]"}`)

	a := assoc(map[string]any{"authenticator_types": []string{"oob"}, "oob_channels": []string{"sms"}, "phone_number": "+447700900123"})
	var got struct {
		Type          string   `json:"authenticator_type"`
		BindingMethod string   `json:"binding_method"`
		RecoveryCodes []string `json:"recovery_codes"`
		OOBChannel    string   `json:"oob_channel"`
		OOBCode       string   `json:"oob_code"`
	}
	if a.status != 200 || json.Unmarshal(a.body, &got) != nil || got.Type != "oob" || got.BindingMethod != "prompt" ||
		got.OOBChannel != "sms" || got.OOBCode == "" || len(got.RecoveryCodes) != 1 {
		t.Fatalf("associate: %d %s", a.status, a.body)
	}
	m := lastMessage(t, s)
	if m.To != "+447700900123" || m.Channel != "sms" {
		t.Fatalf("message %+v", m)
	}
	mfaGrant(t, s, oobGrant, mt, "oob_code", got.OOBCode, "binding_code", m.Code).ok(t)
	// Enrolled: a challenge now sends a code to the phone.
	challengeOOB(t, s, mt)
	// The recovery code handed out at enrollment works.
	mfaGrant(t, s, recoveryGrant, mt, "recovery_code", got.RecoveryCodes[0]).ok(t)
}

func TestMFAPolicyAndPerUserOverride(t *testing.T) {
	s := newServer(t, auth0test.Config{MFARequired: true})
	s.AddUser("a@example.com", goodPass)
	s.AddUser("b@example.com", goodPass)
	s.SetMFA("b@example.com", false)
	mfaLogin(t, s, "a@example.com", "")
	login(t, s, "b@example.com", "").ok(t)

	off := newServer(t, auth0test.Config{})
	off.AddUser("a@example.com", goodPass)
	off.EnrollOTP("a@example.com") // enrolled, but the policy decides
	login(t, off, "a@example.com", "").ok(t)
	off.SetMFA("A@example.com", true)
	mfaLogin(t, off, "a@example.com", "")
	// A wrong password never reveals the MFA state.
	postToken(t, off, tokenForm(off, "a@example.com", "wrong"), nil).is(t, 403,
		`{"error":"invalid_grant","error_description":"Wrong email or password."}`)
}
