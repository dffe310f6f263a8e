package auth0

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
)

// TestClassifyMFACatalogue: the MFA answers of the reference (4.3) and of
// auth0test, as the API must read them.
func TestClassifyMFACatalogue(t *testing.T) {
	cases := []struct {
		status int
		body   string
		kind   Kind
	}{
		{403, `{"error":"invalid_grant","error_description":"Invalid otp_code."}`, KindInvalidMFACode},
		{400, `{"error":"invalid_grant","error_description":"Invalid otp_code."}`, KindInvalidMFACode},
		{403, `{"error":"invalid_grant","error_description":"Invalid binding_code."}`, KindInvalidMFACode},
		{403, `{"error":"invalid_grant","error_description":"Invalid recovery_code."}`, KindInvalidMFACode},
		{403, `{"error":"invalid_grant","error_description":"Invalid oob_code."}`, KindInvalidMFACode},
		{401, `{"error":"expired_token","error_description":"oob_code is expired"}`, KindInvalidMFACode},
		{401, `{"error":"expired_token","error_description":"mfa_token is expired"}`, KindMFATokenInvalid},
		{403, `{"error":"expired_token","error_description":"mfa_token is expired"}`, KindMFATokenInvalid},
		{403, `{"error":"invalid_grant","error_description":"Malformed mfa_token"}`, KindMFATokenInvalid},
		{400, `{"error":"invalid_request","error_description":"mfa_token not issued to this client"}`, KindMFATokenInvalid},
		{400, `{"error":"invalid_request","error_description":"The oob_code doesn't match the mfa_token"}`, KindMFATokenInvalid},
		{400, `{"error":"authorization_pending","error_description":"Authorization pending: please repeat the request in a few seconds."}`, KindAuthorizationPending},
		{400, `{"error":"slow_down","error_description":"You are polling faster than allowed."}`, KindSlowDown},
		{400, `{"error":"access_denied","error_description":"MFA Authorization rejected."}`, KindAccessDenied},
		{403, `{"error":"invalid_grant","error_description":"MFA Authorization rejected."}`, KindAccessDenied},
		{429, `{"error":"too_many_attempts","error_description":"Too many failed codes. Wait for some minutes before retrying."}`, KindTooManyAttempts},
		{400, `{"error":"invalid_request","error_description":"Too many failed codes. Wait for some minutes before retrying."}`, KindTooManyAttempts},
		{400, `{"error":"invalid_request","error_description":"Too many SMS sent by the user. Wait for some minutes before retrying."}`, KindTooManyAttempts},
		{429, `{"error":"too_many_requests","error_description":"Global limit has been reached"}`, KindRateLimited},
		{403, `{"error":"access_denied","error_description":"User is already enrolled."}`, KindAlreadyEnrolled},
		{400, `{"error":"unsupported_challenge_type","error_description":"User is not enrolled. You can use /mfa/associate endpoint to enroll the first authenticator."}`, KindEnrollmentRequired},
		{400, `{"error":"association_required","error_description":"The user must enroll an authenticator."}`, KindEnrollmentRequired},
		{401, `{"error":"access_denied","error_description":"Unauthorized"}`, KindClientRejected},
		{401, `{"error":"invalid_client","error_description":"Client authentication failed"}`, KindClientRejected},
		{403, `{"error":"unauthorized_client","error_description":"Grant type 'http://auth0.com/oauth/grant-type/mfa-otp' not allowed for the client."}`, KindMisconfigured},
		{400, `{"error":"invalid_request","error_description":"Missing required parameter: otp"}`, KindMisconfigured},
		{403, `{"error":"invalid_grant","error_description":"user is blocked"}`, KindAccessDenied},
		{500, `{"error":"server_error","error_description":"oops"}`, KindUpstream},
		{502, `<html>bad gateway</html>`, KindUpstream},
	}
	for _, c := range cases {
		e := parseError(c.status, http.Header{}, []byte(c.body), classifyMFA)
		if e.Kind != c.kind {
			t.Errorf("%d %s\n got %v, want %v", c.status, c.body, e.Kind, c.kind)
		}
	}
	// /mfa/authenticators takes only the mfa_token: its 401s are about it.
	for _, body := range []string{`{"error":"unauthorized","error_description":"Unauthorized"}`, `{"statusCode":401,"error":"Unauthorized","message":"Bad token"}`} {
		if e := parseError(401, http.Header{}, []byte(body), classifyAuthenticators); e.Kind != KindMFATokenInvalid {
			t.Errorf("authenticators 401 %s: %v", body, e.Kind)
		}
	}
}

func TestMFARequiredKeepsTheTokenOutOfTheText(t *testing.T) {
	const tok = "Fe26.2**0cb6d84d42ed1d63a0a0e5f9b41e6a4d44fc1a7e4b7e43c3"
	password := func(e *Error) { classifyToken(e, PasswordRealmGrant) }
	body := `{"error":"mfa_required","error_description":"Multifactor authentication required","mfa_token":"` + tok + `"}`
	e := parseError(403, http.Header{}, []byte(body), password)
	if e.Kind != KindMFARequired || e.MFAToken != tok {
		t.Fatalf("kind %v, token %q", e.Kind, e.MFAToken)
	}
	if strings.Contains(e.Error(), tok) || strings.Contains(e.Error(), "Fe26") {
		t.Fatalf("Error() shows the mfa_token: %s", e.Error())
	}
	// Without a token there is no way forward: a plain refusal.
	e = parseError(403, http.Header{}, []byte(`{"error":"mfa_required","error_description":"Multifactor authentication required"}`), password)
	if e.Kind != KindAccessDenied {
		t.Fatalf("mfa_required without token: %v", e.Kind)
	}
	// A token no Auth0 would send is not passed on.
	huge := `{"error":"mfa_required","mfa_token":"` + strings.Repeat("a", maxMFAToken+1) + `"}`
	if e = parseError(403, http.Header{}, []byte(huge), password); e.MFAToken != "" || e.Kind != KindAccessDenied {
		t.Fatalf("oversized mfa_token kept: kind %v, %d bytes", e.Kind, len(e.MFAToken))
	}
}

// TestMFAErrorsScrubWhatWasSent: an answer that repeats a credential of
// the request keeps none of it in any text of the error.
func TestMFAErrorsScrubWhatWasSent(t *testing.T) {
	const mfaTok, secret = "Fe26.2**sealed-token-value", "client-secret-value"
	for _, body := range []string{
		`{"error":"server_error","error_description":"bad token Fe26.2**sealed-token-value for client-secret-value"}`,
		`{"error":"Fe26.2**sealed-token-value","error_description":"x"}`,
		// A JSON escape spells the secret differently in the raw body.
		`{"error":"server_error","error_description":"client\u002dsecret\u002dvalue"}`,
		`{"error":"server_error","error_description":"` + strings.Repeat("x", maxDescription-10) + `Fe26.2**sealed-token-value"}`,
	} {
		e := parseError(500, http.Header{}, []byte(body), classifyMFA, mfaTok, secret)
		text := e.Error() + e.Code + e.Description
		if strings.Contains(text, "sealed-token") || strings.Contains(text, "secret-value") {
			t.Errorf("%s\n kept a credential: %s", body, text)
		}
	}
}

// mfaTenant is an auth0test tenant that requires MFA and a client for it;
// login returns a fresh mfa_token for the user.
type mfaTenant struct {
	srv    *auth0test.Server
	client *Client
	secret string
	now    time.Time
}

func newMFATenant(t *testing.T) *mfaTenant {
	t.Helper()
	m := &mfaTenant{now: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	m.srv = auth0test.NewServer(auth0test.Config{MFARequired: true, Clock: func() time.Time { return m.now }})
	t.Cleanup(m.srv.Close)
	c := m.srv.Config()
	m.secret = c.ClientSecret
	m.client = NewClient(Config{BaseURL: m.srv.URL, ClientID: c.ClientID, Audience: c.Audience, Connection: c.Connection, Scope: "openid"}, nil)
	m.client.retryDelay = func() time.Duration { return time.Millisecond }
	m.srv.AddUser("ada@example.com", "Corr3ct-Horse")
	return m
}

func (m *mfaTenant) login(t *testing.T) string {
	t.Helper()
	_, err := m.client.Token(context.Background(), TokenRequest{Username: "ada@example.com", Password: "Corr3ct-Horse", ClientSecret: m.secret})
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindMFARequired || e.MFAToken == "" {
		t.Fatalf("login: %v", err)
	}
	return e.MFAToken
}

func TestMFAEnrollListAndChallenge(t *testing.T) {
	m := newMFATenant(t)
	ctx := context.Background()
	tok := m.login(t)

	list, err := m.client.MFAAuthenticators(ctx, tok)
	if err != nil || len(list) != 0 {
		t.Fatalf("before enrollment: %v %v", list, err)
	}
	_, err = m.client.MFAChallenge(ctx, MFAChallengeRequest{MFAToken: tok, ClientSecret: m.secret})
	if kindOf(t, err) != KindEnrollmentRequired {
		t.Fatalf("challenge before enrollment: %v", err)
	}

	en, err := m.client.MFAAssociate(ctx, MFAAssociateRequest{MFAToken: tok, ClientSecret: m.secret, Type: "otp"})
	if err != nil {
		t.Fatal(err)
	}
	if en.Type != "otp" || auth0test.TOTP(en.Secret, m.now) == "" || !strings.HasPrefix(en.BarcodeURI, "otpauth://totp/") ||
		!strings.Contains(en.BarcodeURI, "secret="+en.Secret) || len(en.RecoveryCodes) != 1 {
		t.Fatalf("enrollment %+v", en)
	}
	// What Auth0 got: the client's credentials in the JSON body, the
	// mfa_token as bearer.
	reqs := m.srv.Requests()
	last := reqs[len(reqs)-1]
	if last.Path != "/mfa/associate" || last.JSON["client_id"] != m.srv.Config().ClientID ||
		last.JSON["client_secret"] != auth0test.Redacted(m.secret) ||
		last.Header.Get("Authorization") != auth0test.Redacted("Bearer "+tok) {
		t.Fatalf("associate request %+v %v", last.JSON, last.Header)
	}
	list, err = m.client.MFAAuthenticators(ctx, tok)
	if err != nil || len(list) != 2 || list[0].Type != "otp" || list[0].Active || list[1].Type != "recovery-code" {
		t.Fatalf("pending enrollment listed as %+v %v", list, err)
	}

	// Confirmed by an OTP login, the factor can be challenged; a second
	// enrollment is refused.
	m.srv.EnrollOTP("ada@example.com")
	tok = m.login(t)
	ch, err := m.client.MFAChallenge(ctx, MFAChallengeRequest{MFAToken: tok, ClientSecret: m.secret, ChallengeType: "otp"})
	if err != nil || ch.ChallengeType != "otp" {
		t.Fatalf("challenge: %+v %v", ch, err)
	}
	_, err = m.client.MFAAssociate(ctx, MFAAssociateRequest{MFAToken: tok, ClientSecret: m.secret, Type: "otp"})
	if kindOf(t, err) != KindAlreadyEnrolled {
		t.Fatalf("second enrollment: %v", err)
	}
}

func TestMFAOOBEnrollmentSendsTheCode(t *testing.T) {
	m := newMFATenant(t)
	tok := m.login(t)
	en, err := m.client.MFAAssociate(context.Background(), MFAAssociateRequest{MFAToken: tok, ClientSecret: m.secret,
		Type: "oob", Channel: "sms", PhoneNumber: "+15555550100"})
	if err != nil || en.Type != "oob" || en.OOBCode == "" || en.BindingMethod != "prompt" || en.OOBChannel != "sms" {
		t.Fatalf("%+v %v", en, err)
	}
	msgs := m.srv.Messages()
	if len(msgs) != 1 || msgs[0].To != "+15555550100" || msgs[0].Code == "" {
		t.Fatalf("messages %+v", msgs)
	}
}

func TestMFATokenRefusals(t *testing.T) {
	m := newMFATenant(t)
	ctx := context.Background()
	tok := m.login(t)
	cases := map[string]string{
		"malformed": "not-a-token",
		"foreign":   strings.Repeat("A", 120), // well-formed base64, not sealed by this tenant
		"expired":   tok,
	}
	m.now = m.now.Add(10*time.Minute + time.Second)
	for name, bad := range cases {
		if _, err := m.client.MFAAuthenticators(ctx, bad); kindOf(t, err) != KindMFATokenInvalid {
			t.Errorf("%s: authenticators: %v", name, err)
		}
		_, err := m.client.MFAAssociate(ctx, MFAAssociateRequest{MFAToken: bad, ClientSecret: m.secret, Type: "otp"})
		if kindOf(t, err) != KindMFATokenInvalid {
			t.Errorf("%s: associate: %v", name, err)
		}
		_, err = m.client.MFAChallenge(ctx, MFAChallengeRequest{MFAToken: bad, ClientSecret: m.secret})
		if kindOf(t, err) != KindMFATokenInvalid {
			t.Errorf("%s: challenge: %v", name, err)
		}
		if err != nil && strings.Contains(err.Error(), bad) {
			t.Errorf("%s: the error repeats the mfa_token: %v", name, err)
		}
	}
	_, err := m.client.MFAChallenge(ctx, MFAChallengeRequest{MFAToken: tok, ClientSecret: "wrong"})
	if kindOf(t, err) != KindClientRejected {
		t.Errorf("wrong client secret: %v", err)
	}
}

// TestMFACallsAreNeverRetried: a 5xx or a dropped connection reaches the
// caller after exactly one request.
func TestMFACallsAreNeverRetried(t *testing.T) {
	m := newMFATenant(t)
	ctx := context.Background()
	tok := m.login(t)
	calls := map[string]func() error{
		"/mfa/authenticators": func() error { _, err := m.client.MFAAuthenticators(ctx, tok); return err },
		"/mfa/associate": func() error {
			_, err := m.client.MFAAssociate(ctx, MFAAssociateRequest{MFAToken: tok, ClientSecret: m.secret, Type: "otp"})
			return err
		},
		"/mfa/challenge": func() error {
			_, err := m.client.MFAChallenge(ctx, MFAChallengeRequest{MFAToken: tok, ClientSecret: m.secret})
			return err
		},
	}
	for path, call := range calls {
		for _, f := range []auth0test.Fault{{Status: 503, Body: `{"error":"server_error"}`}, {Drop: true}} {
			if path == "/mfa/authenticators" && f.Drop {
				// net/http resends a GET once when a kept-alive connection
				// closes unanswered; listing is read-only, so that is fine.
				continue
			}
			m.srv.ResetRequests()
			m.srv.Fault(path, f)
			err := call()
			m.srv.ClearFaults()
			if kindOf(t, err) != KindUpstream {
				t.Errorf("%s %+v: %v", path, f, err)
			}
			if n := len(m.srv.Requests()); n != 1 {
				t.Errorf("%s %+v: %d requests reached Auth0, want 1", path, f, n)
			}
		}
	}
}

func TestMFAAnswersWithoutTheirCredentialAreUpstreamErrors(t *testing.T) {
	for path, body := range map[string]string{
		"/mfa/associate": `{"authenticator_type":"otp","barcode_uri":"otpauth://totp/x"}`,
		"/mfa/challenge": `{"challenge_type":"oob"}`,
	} {
		c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
			var m map[string]any
			if err := json.NewDecoder(r.Body).Decode(&m); err != nil || m["client_secret"] != "s" || m["client_id"] != "cid" {
				t.Errorf("%s body %v %v", r.URL.Path, m, err)
			}
			w.Write([]byte(body))
		})
		var err error
		if path == "/mfa/associate" {
			_, err = c.MFAAssociate(context.Background(), MFAAssociateRequest{MFAToken: "t", ClientSecret: "s", Type: "otp"})
		} else {
			_, err = c.MFAChallenge(context.Background(), MFAChallengeRequest{MFAToken: "t", ClientSecret: "s"})
		}
		if kindOf(t, err) != KindUpstream {
			t.Errorf("%s %s: %v", path, body, err)
		}
	}
}

var mfaKinds = []Kind{KindUpstream, KindAccessDenied, KindTooManyAttempts, KindRateLimited, KindClientRejected,
	KindMisconfigured, KindInvalidMFACode, KindMFATokenInvalid, KindAuthorizationPending, KindSlowDown,
	KindAlreadyEnrolled, KindEnrollmentRequired}

// FuzzMFAError feeds any answer to the reader of MFA errors, with the
// credentials the request carried (leakMark and a fuzzed suffix, so no fixed
// text holds them). Properties: it never panics; the Kind is one an MFA
// call can produce; a 429 is a rate limit or too many attempts and a 5xx is
// upstream; Error() and Hint() are valid UTF-8 and carry none of the
// credentials, however the body repeats them.
func FuzzMFAError(f *testing.F) {
	f.Add(403, []byte(`{"error":"invalid_grant","error_description":"Invalid otp_code."}`), "tok", "123456")
	f.Add(500, []byte(`{"error":"zzLEAK-tok","error_description":"echo zzLEAK-tok and zzLEAK-123456"}`), "tok", "123456")
	f.Add(500, []byte(`{"error_description":"zzLEAK\u002dtok"}`), "tok", "123456")
	f.Add(400, []byte(`{"error":"authorization_pending"}`), "tok", "")
	f.Add(429, []byte(`not json`), "secret-value", "x")
	f.Fuzz(func(t *testing.T, status int, body []byte, tokSuffix, codeSuffix string) {
		mfaToken, code := leakMark+tokSuffix, leakMark+codeSuffix
		if strings.ContainsAny(mfaToken+code, "[]") {
			return // could be spelled by the scrub mark itself
		}
		e := parseError(status, http.Header{}, body, classifyMFA, mfaToken, code)
		if e.Status != status || !slices.Contains(mfaKinds, e.Kind) {
			t.Fatalf("status %d kind %v", e.Status, e.Kind)
		}
		if status == 429 && e.Kind != KindRateLimited && e.Kind != KindTooManyAttempts {
			t.Fatalf("a 429 became %v", e.Kind)
		}
		if status >= 500 && e.Kind != KindUpstream {
			t.Fatalf("a %d became %v", status, e.Kind)
		}
		for _, text := range []string{e.Error(), e.Hint(), e.Code, e.Description} {
			if !utf8.ValidString(text) {
				t.Fatalf("invalid UTF-8: %q", text)
			}
			if strings.Contains(text, mfaToken) || strings.Contains(text, code) {
				t.Fatalf("%q carries a credential (body %q)", text, body)
			}
		}
	})
}

func TestMFAGrants(t *testing.T) {
	m := newMFATenant(t)
	ctx := context.Background()
	secret, recovery, _ := m.srv.EnrollOTP("ada@example.com")
	grant := func(tr TokenRequest) (Token, error) {
		tr.ClientSecret = m.secret
		tr.MFAToken = m.login(t)
		return m.client.Token(ctx, tr)
	}

	if _, err := grant(TokenRequest{Grant: MFAOTPGrant, OTP: "000000"}); kindOf(t, err) != KindInvalidMFACode {
		t.Fatalf("wrong otp: %v", err)
	}
	tok, err := grant(TokenRequest{Grant: MFAOTPGrant, OTP: auth0test.TOTP(secret, m.now)})
	if err != nil || tok.AccessToken == "" || tok.RecoveryCode != "" {
		t.Fatalf("otp: %+v %v", tok, err)
	}
	// The form Auth0 got.
	reqs := m.srv.Requests()
	f := reqs[len(reqs)-1].Form
	if f.Get("grant_type") != MFAOTPGrant || f.Get("otp") != auth0test.Redacted(auth0test.TOTP(secret, m.now)) ||
		f.Get("mfa_token") == "" || f.Get("client_secret") != auth0test.Redacted(m.secret) {
		t.Fatalf("form %v", f)
	}

	tok, err = grant(TokenRequest{Grant: MFARecoveryCodeGrant, RecoveryCode: recovery})
	if err != nil || tok.AccessToken == "" || tok.RecoveryCode == "" || tok.RecoveryCode == recovery {
		t.Fatalf("recovery: %+v %v", tok, err)
	}
	if _, err := grant(TokenRequest{Grant: MFARecoveryCodeGrant, RecoveryCode: recovery}); kindOf(t, err) != KindInvalidMFACode {
		t.Fatalf("used recovery code: %v", err)
	}
	if _, err := grant(TokenRequest{Grant: MFARecoveryCodeGrant, RecoveryCode: tok.RecoveryCode}); err != nil {
		t.Fatalf("new recovery code: %v", err)
	}
}

func TestMFAOOBGrantPolls(t *testing.T) {
	m := newMFATenant(t)
	ctx := context.Background()
	m.srv.EnrollOOB("ada@example.com", "sms", "+15555550100")
	mfaTok := m.login(t)
	ch, err := m.client.MFAChallenge(ctx, MFAChallengeRequest{MFAToken: mfaTok, ClientSecret: m.secret})
	if err != nil || ch.ChallengeType != "oob" {
		t.Fatalf("%+v %v", ch, err)
	}
	poll := TokenRequest{Grant: MFAOOBGrant, ClientSecret: m.secret, MFAToken: mfaTok, OOBCode: ch.OOBCode}
	if _, err := m.client.Token(ctx, poll); kindOf(t, err) != KindAuthorizationPending {
		t.Fatalf("first poll: %v", err)
	}
	if _, err := m.client.Token(ctx, poll); kindOf(t, err) != KindSlowDown {
		t.Fatalf("fast poll: %v", err)
	}
	wrong := poll
	wrong.BindingCode = "000000"
	if msgs := m.srv.Messages(); msgs[len(msgs)-1].Code == wrong.BindingCode {
		wrong.BindingCode = "111111"
	}
	if _, err := m.client.Token(ctx, wrong); kindOf(t, err) != KindInvalidMFACode {
		t.Fatalf("wrong binding code: %v", err)
	}
	m.srv.RejectOOB(ch.OOBCode)
	m.now = m.now.Add(6 * time.Second)
	if _, err := m.client.Token(ctx, poll); kindOf(t, err) != KindAccessDenied {
		t.Fatalf("rejected: %v", err)
	}

	// Answered with the code that was sent.
	ch, _ = m.client.MFAChallenge(ctx, MFAChallengeRequest{MFAToken: mfaTok, ClientSecret: m.secret})
	msgs := m.srv.Messages()
	ok := poll
	ok.OOBCode, ok.BindingCode = ch.OOBCode, msgs[len(msgs)-1].Code
	if tok, err := m.client.Token(ctx, ok); err != nil || tok.AccessToken == "" {
		t.Fatalf("binding code: %+v %v", tok, err)
	}
}

// TestMFAGrantsAreNeverRetried: unlike the password grant, a 5xx or a drop
// on an MFA grant is one request: the code may have been spent.
func TestMFAGrantsAreNeverRetried(t *testing.T) {
	m := newMFATenant(t)
	secret, recovery, _ := m.srv.EnrollOTP("ada@example.com")
	for _, tr := range []TokenRequest{
		{Grant: MFAOTPGrant, OTP: auth0test.TOTP(secret, m.now)},
		{Grant: MFARecoveryCodeGrant, RecoveryCode: recovery},
		{Grant: MFAOOBGrant, OOBCode: "some-oob-code"},
	} {
		for _, f := range []auth0test.Fault{{Status: 503, Body: `{"error":"server_error"}`}, {Drop: true}} {
			tr.MFAToken, tr.ClientSecret = m.login(t), m.secret
			m.srv.ResetRequests()
			m.srv.Fault("/oauth/token", f)
			_, err := m.client.Token(context.Background(), tr)
			m.srv.ClearFaults()
			if kindOf(t, err) != KindUpstream || len(m.srv.Requests()) != 1 {
				t.Errorf("%s %+v: %v after %d requests", tr.Grant, f, err, len(m.srv.Requests()))
			}
		}
	}
}
