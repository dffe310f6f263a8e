package blackbox

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/internal/mototest"
	"github.com/auth0-sam-go/authapi/internal/rie"
)

// sampleSub is the user the sample events' authorizer claims name.
const sampleSub = "auth0|65f1c0ffee0123456789abcd"

// accountEnv is the account function's environment: both secrets in moto.
func (s *stack) accountEnv(t *testing.T) []string {
	t.Helper()
	m2m := s.auth0.Config().M2M
	mgmtARN := s.moto.CreateSecret(t, mototest.UniqueName(t)+"-mgmt",
		`{"client_id":"`+m2m.ID+`","client_secret":"`+m2m.Secret+`"}`)
	env := append(s.tokenEnv(s.arn), "AUTH0_MANAGEMENT_SECRET_ARN="+mgmtARN)
	return env
}

// accountEvent is a sample event for the account routes, naming sub.
func accountEvent(t *testing.T, name, sub string) []byte {
	return bytes.ReplaceAll(loadEvent(t, name), []byte(sampleSub), []byte(sub))
}

func TestAccountSampleEventsEndToEnd(t *testing.T) {
	s := newStack(t)
	sub := s.auth0.AddUser("jane.doe@example.com", "Correct-Horse-42")
	f := rie.StartT(t, hostBin["AccountFunction"], s.accountEnv(t)...)

	for _, c := range []struct {
		event, method, path string
		status              int
		code                string
	}{
		{"account-delete-wrong-password.json", "DELETE", "/me", 401, "invalid_credentials"},
		{"account-verification-email.json", "POST", "/me/verification-email", 202, ""},
		{"account-delete.json", "DELETE", "/me", 204, ""},
		{"account-delete.json", "DELETE", "/me", 204, ""}, // a retry
		{"account-verification-email.json", "POST", "/me/verification-email", 404, "not_found"},
	} {
		resp := invoke(t, f, accountEvent(t, c.event, sub))
		if resp.StatusCode != c.status || code(t, resp) != c.code {
			t.Fatalf("%s: got %d %s, want %d %s", c.event, resp.StatusCode, resp.Body, c.status, c.code)
		}
		s.spec.Check(t, c.method, c.path, resp.StatusCode, resp.Headers, resp.Body)
		if c.event == "account-delete-wrong-password.json" {
			if _, ok := s.auth0.UserID("jane.doe@example.com"); !ok {
				t.Fatal("a wrong password deleted the user")
			}
		}
	}
	if _, ok := s.auth0.UserID("jane.doe@example.com"); ok {
		t.Fatal("the user still exists")
	}
	if msgs := s.auth0.Messages(); len(msgs) != 1 || msgs[0].To != "jane.doe@example.com" {
		t.Errorf("messages %+v, want one verification email", msgs)
	}
	logs := f.Logs()
	if n := coldStarts(f); n != 1 || !strings.Contains(logs, `"msg":"init"`) {
		t.Errorf("%d cold starts:\n%s", n, logs)
	}
	c := s.auth0.Config()
	for what, v := range map[string]string{"password": "Correct-Horse-42", "wrong password": "Wrong-Horse-42",
		"client secret": c.ClientSecret, "M2M secret": c.M2M.Secret, "email": "jane.doe@example.com"} {
		if strings.Contains(logs, v) {
			t.Errorf("the %s is in the logs:\n%s", what, logs)
		}
	}
}

func TestAccountMisconfiguredAnswers500(t *testing.T) {
	s := newStack(t)
	env := s.tokenEnv(s.arn) // no AUTH0_MANAGEMENT_SECRET_ARN
	f := rie.StartT(t, hostBin["AccountFunction"], env...)
	resp := invoke(t, f, loadEvent(t, "account-delete.json"))
	if resp.StatusCode != 500 || code(t, resp) != "server_misconfigured" {
		t.Fatalf("got %d %s", resp.StatusCode, resp.Body)
	}
	s.spec.Check(t, "DELETE", "/me", resp.StatusCode, resp.Headers, resp.Body)
	if logs := f.Logs(); !strings.Contains(logs, "AUTH0_MANAGEMENT_SECRET_ARN: not set") {
		t.Errorf("the init log does not name the missing setting:\n%s", logs)
	}
}

func TestAccountRecoversWhenTheManagementSecretAppears(t *testing.T) {
	s := newStack(t)
	sub := s.auth0.AddUser("jane.doe@example.com", "Correct-Horse-42")
	name := mototest.UniqueName(t) + "-late"
	f := rie.StartT(t, hostBin["AccountFunction"], append(s.tokenEnv(s.arn), "AUTH0_MANAGEMENT_SECRET_ARN="+name)...)
	resp := invoke(t, f, accountEvent(t, "account-verification-email.json", sub))
	if resp.StatusCode != 503 || code(t, resp) != "secret_unavailable" {
		t.Fatalf("secret missing: %d %s", resp.StatusCode, resp.Body)
	}
	s.spec.Check(t, "POST", "/me/verification-email", resp.StatusCode, resp.Headers, resp.Body)
	if logs := f.Logs(); !strings.Contains(logs, name) || !strings.Contains(logs, "Management API credentials") {
		t.Errorf("the cold-start ERROR line does not name the secret:\n%s", logs)
	}
	m2m := s.auth0.Config().M2M
	s.moto.CreateSecret(t, name, `{"client_id":"`+m2m.ID+`","client_secret":"`+m2m.Secret+`"}`)
	// The store retries a failed read after secret.RetryInterval (5 s).
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp = invoke(t, f, accountEvent(t, "account-verification-email.json", sub))
		if resp.StatusCode == 202 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery: %d %s", resp.StatusCode, resp.Body)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if n := coldStarts(f); n != 1 {
		t.Fatalf("%d cold starts, want 1", n)
	}
}
