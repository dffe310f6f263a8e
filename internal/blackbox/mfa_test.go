package blackbox

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/internal/rie"
	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
	"github.com/aws/aws-lambda-go/events"
)

// routeEvent is the sample token event sent to another route of the token
// function, as API Gateway would route ANY path there.
func routeEvent(t *testing.T, method, path string, headers map[string]string, contentType, body string) []byte {
	t.Helper()
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(loadEvent(t, "token.json"), &ev); err != nil {
		t.Fatal(err)
	}
	ev.RouteKey, ev.RequestContext.RouteKey = "ANY "+path, "ANY "+path
	ev.RawPath, ev.RequestContext.HTTP.Path, ev.RequestContext.HTTP.Method = path, path, method
	delete(ev.Headers, "content-length")
	delete(ev.Headers, "content-type")
	if contentType != "" {
		ev.Headers["content-type"] = contentType
	}
	for k, v := range headers {
		ev.Headers[k] = v
	}
	ev.Body = body
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMFALoginUnderTheRIE: the built token bootstrap carries a user for
// whom MFA applies through login → 403 mfa_required → enrollment → the
// mfa-otp grant with the authenticator app's code.
func TestMFALoginUnderTheRIE(t *testing.T) {
	s := newStack(t)
	const email, password = "jane.doe@example.com", "Correct-Horse-42"
	s.auth0.AddUser(email, password)
	s.auth0.SetMFA(email, true)
	f := rie.StartT(t, hostBin["TokenFunction"], s.tokenEnv(s.arn)...)
	const form = "application/x-www-form-urlencoded"
	send := func(method, path string, headers map[string]string, contentType, body string, status int) map[string]any {
		t.Helper()
		resp := invoke(t, f, routeEvent(t, method, path, headers, contentType, body))
		if resp.StatusCode != status || resp.Headers["Cache-Control"] != "no-store" {
			t.Fatalf("%s %s: %d %v %s, want %d", method, path, resp.StatusCode, resp.Headers, resp.Body, status)
		}
		s.spec.Check(t, method, path, resp.StatusCode, resp.Headers, resp.Body)
		var m map[string]any
		if !strings.HasPrefix(resp.Body, "[") {
			json.Unmarshal([]byte(resp.Body), &m)
		}
		return m
	}

	login := send("POST", "/token", nil, form, url.Values{"username": {email}, "password": {password}}.Encode(), 403)
	tok, _ := login["mfa_token"].(string)
	if login["code"] != "mfa_required" || tok == "" {
		t.Fatalf("login: %v", login)
	}
	send("GET", "/mfa/authenticators", map[string]string{"authorization": "Bearer " + tok}, "", "", 200)
	en := send("POST", "/mfa/enroll", nil, "application/json", `{"mfa_token":"`+tok+`","type":"otp"}`, 200)
	secret, _ := en["secret"].(string)
	otp := auth0test.TOTP(secret, time.Now())
	if otp == "" {
		t.Fatalf("enrollment: %v", en)
	}
	got := send("POST", "/token", nil, form, url.Values{"grant_type": {"mfa-otp"}, "mfa_token": {tok}, "otp": {otp}}.Encode(), 200)
	at, _ := got["access_token"].(string)
	if sub, _ := s.auth0.UserID(email); at == "" || jwtSubject(t, at) != sub {
		t.Fatalf("token: %v", got)
	}
	logs := f.Logs()
	for _, v := range []string{tok, secret, `"` + otp + `"`, at, s.auth0.Config().ClientSecret, password, email} {
		if strings.Contains(logs, v) {
			t.Fatalf("a credential or an unmasked email is in the function's logs:\n%s", logs)
		}
	}
}
