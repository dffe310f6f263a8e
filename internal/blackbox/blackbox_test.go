package blackbox

import (
	"context"
	"debug/buildinfo"
	"debug/elf"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/internal/contracttest"
	"github.com/auth0-sam-go/authapi/internal/mototest"
	"github.com/auth0-sam-go/authapi/internal/rie"
	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
	"github.com/aws/aws-lambda-go/events"
)

var root = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}()

// bootstraps built once for this machine's architecture.
var hostBin = map[string]string{}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "blackbox-")
	if err != nil {
		panic(err)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		for _, fn := range []string{"SignupFunction", "TokenFunction", "MeFunction", "AccountFunction"} {
			out := filepath.Join(dir, fn)
			if err := makeTarget(fn, out, runtime.GOARCH); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			hostBin[fn] = filepath.Join(out, "bootstrap")
		}
		return m.Run()
	}()
	os.Exit(code)
}

// makeTarget runs what `sam build` runs for fn.
func makeTarget(fn, artifactsDir, goarch string) error {
	cmd := exec.Command("make", "--no-print-directory", "-C", root, "build-"+fn, "ARTIFACTS_DIR="+artifactsDir, "GOARCH="+goarch)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("make build-%s GOARCH=%s: %v\n%s", fn, goarch, err, out)
	}
	return nil
}

func TestMakeBuildsStaticArm64Bootstraps(t *testing.T) {
	for _, fn := range []string{"SignupFunction", "TokenFunction", "MeFunction", "AccountFunction"} {
		t.Run(fn, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command("make", "--no-print-directory", "-C", root, "build-"+fn, "ARTIFACTS_DIR="+dir)
			// A stray GOARCH in the environment must not change the target.
			cmd.Env = append(os.Environ(), "GOARCH=amd64")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			bin := filepath.Join(dir, "bootstrap")
			f, err := elf.Open(bin)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Machine != elf.EM_AARCH64 {
				t.Errorf("machine %v, want EM_AARCH64", f.Machine)
			}
			for _, p := range f.Progs {
				if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
					t.Errorf("dynamically linked (%v): provided.al2023 needs a static binary", p.Type)
				}
			}
			if f.Section(".symtab") != nil {
				t.Errorf("not stripped: has .symtab")
			}
			info, err := buildinfo.ReadFile(bin)
			if err != nil {
				t.Fatal(err)
			}
			// Only the token and account functions read secrets; none
			// verifies tokens itself (API Gateway's authorizer does), so none
			// needs the JWT library.
			sdk, jwtLib := false, false
			for _, d := range info.Deps {
				sdk = sdk || strings.HasPrefix(d.Path, "github.com/aws/aws-sdk-go-v2")
				jwtLib = jwtLib || strings.HasPrefix(d.Path, "github.com/golang-jwt/")
			}
			if wantSDK := fn == "TokenFunction" || fn == "AccountFunction"; sdk != wantSDK {
				t.Errorf("links the AWS SDK: %v, want %v", sdk, wantSDK)
			}
			if jwtLib {
				t.Errorf("links the JWT library")
			}
			st, _ := os.Stat(bin)
			t.Logf("%s bootstrap: %.2f MB", fn, float64(st.Size())/1e6)
		})
	}
}

// stack is one emulated deployment: Auth0, Secrets Manager, the secret.
type stack struct {
	auth0  *auth0test.Server
	moto   *mototest.Server
	arn    string
	spec   *contracttest.Spec
	common []string
}

func newStack(t *testing.T) *stack {
	t.Helper()
	s := &stack{auth0: auth0test.NewServer(auth0test.Config{}), moto: mototest.Start(t), spec: contracttest.Load(t)}
	t.Cleanup(s.auth0.Close)
	c := s.auth0.Config()
	s.arn = s.moto.CreateSecret(t, mototest.UniqueName(t), `{"client_secret":"`+c.ClientSecret+`"}`)
	s.common = []string{
		"AUTH0_TOKEN_ISSUER=" + s.auth0.URL,
		"AUTH0_CLIENT_ID=" + c.ClientID,
		"AUTH0_CONNECTION=" + c.Connection,
	}
	return s
}

func (s *stack) signupEnv() []string { return s.common }

func (s *stack) tokenEnv(secretID string) []string {
	env := append([]string{}, s.common...)
	env = append(env, "AUTH0_TOKEN_AUDIENCE="+s.auth0.Config().Audience, "AUTH0_CLIENT_SECRET_ARN="+secretID,
		"AUTH0_SCOPE=openid offline_access") // the template's default
	return append(env, s.moto.Env()...)
}

func loadEvent(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// invoke sends one event and returns the API Gateway response it produced.
func invoke(t *testing.T, f *rie.Function, payload []byte) events.APIGatewayV2HTTPResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := f.Invoke(ctx, payload)
	if err != nil {
		t.Fatal(err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode == 0 {
		t.Fatalf("answer is not an API Gateway v2 response: %.300s", out)
	}
	return resp
}

// coldStarts counts the function's init log lines: one per process.
func coldStarts(f *rie.Function) int {
	return strings.Count(f.Logs(), `"msg":"init"`) + strings.Count(f.Logs(), `"msg":"init failed`)
}

func code(t *testing.T, resp events.APIGatewayV2HTTPResponse) string {
	var b struct{ Code string }
	json.Unmarshal([]byte(resp.Body), &b)
	return b.Code
}

// sampleRefreshToken stands in the sample events for a real refresh token;
// the tests put a live one in its place.
const sampleRefreshToken = "v1.sample-refresh-token"

// TestSampleEventsEndToEnd sends every sample event in events/ to its
// function, in an order that makes a session: signup, logins (JSON, base64,
// form), a refresh, a reuse, a logout, a password reset, and the refusals.
func TestSampleEventsEndToEnd(t *testing.T) {
	s := newStack(t)
	signup := rie.StartT(t, hostBin["SignupFunction"], s.signupEnv()...)
	token := rie.StartT(t, hostBin["TokenFunction"], s.tokenEnv(s.arn)...)
	me := rie.StartT(t, hostBin["MeFunction"])

	cases := []struct {
		fn     string
		event  string
		path   string
		status int
		code   string
		// use puts the refresh token saved under this name in the event;
		// save keeps the answer's refresh token under this name.
		use, save string
	}{
		{fn: "signup", event: "signup.json", path: "/signup", status: 201},
		{fn: "signup", event: "signup.json", path: "/signup", status: 400, code: "invalid_signup"}, // now the user exists
		{fn: "token", event: "token.json", path: "/token", status: 200, save: "json"},
		{fn: "token", event: "token-base64.json", path: "/token", status: 200},
		{fn: "token", event: "token-form.json", path: "/token", status: 200, save: "form"},
		{fn: "token", event: "token-refresh.json", path: "/token", status: 200, use: "json", save: "rotated"},
		{fn: "token", event: "token-refresh.json", path: "/token", status: 401, code: "session_expired", use: "json"},    // reuse
		{fn: "token", event: "token-refresh.json", path: "/token", status: 401, code: "session_expired", use: "rotated"}, // family revoked
		{fn: "token", event: "logout.json", path: "/logout", status: 204, use: "form"},
		{fn: "token", event: "token-refresh.json", path: "/token", status: 401, code: "session_expired", use: "form"},
		{fn: "token", event: "logout.json", path: "/logout", status: 204}, // a token never issued
		{fn: "token", event: "token-unsupported-grant.json", path: "/token", status: 400, code: "unsupported_grant_type"},
		{fn: "signup", event: "password-reset.json", path: "/password/reset", status: 202},
		{fn: "signup", event: "signup-invalid-email.json", path: "/signup", status: 400, code: "invalid_request"},
		{fn: "token", event: "token-wrong-password.json", path: "/token", status: 401, code: "invalid_credentials"},
		{fn: "signup", event: "signup-wrong-method.json", path: "/signup", status: 405, code: "method_not_allowed"},
		{fn: "signup", event: "signup-bad-content-type.json", path: "/signup", status: 415, code: "unsupported_media_type"},
		{fn: "me", event: "me.json", path: "/me", status: 200},
	}
	saved := map[string]string{}
	used := map[string]bool{}
	var userID string
	for _, c := range cases {
		used[c.event] = true
		f := map[string]*rie.Function{"signup": signup, "token": token, "me": me}[c.fn]
		payload := loadEvent(t, c.event)
		if c.use != "" {
			payload = []byte(strings.ReplaceAll(string(payload), sampleRefreshToken, saved[c.use]))
		}
		resp := invoke(t, f, payload)
		if resp.StatusCode != c.status || code(t, resp) != c.code {
			t.Errorf("%s (%s): got %d %s, want %d %s", c.event, c.use, resp.StatusCode, resp.Body, c.status, c.code)
			continue
		}
		method := "POST"
		if c.fn == "me" {
			method = "GET"
		}
		s.spec.Check(t, method, c.path, resp.StatusCode, resp.Headers, resp.Body)
		if resp.Headers["Cache-Control"] != "no-store" {
			t.Errorf("%s: Cache-Control %q", c.event, resp.Headers["Cache-Control"])
		}
		var body map[string]any
		json.Unmarshal([]byte(resp.Body), &body)
		switch {
		case c.status == 201:
			userID, _ = body["user_id"].(string)
		case c.status == 200 && c.fn == "token":
			sub := jwtSubject(t, body["access_token"].(string))
			if sub == "" || sub != userID || body["data"] != body["access_token"] {
				t.Errorf("%s: token sub %q, signed-up user %q", c.event, sub, userID)
			}
			rt, _ := body["refresh_token"].(string)
			if rt == "" || rt == saved[c.use] {
				t.Errorf("%s: refresh_token %q, want a new one", c.event, rt)
			}
			if c.save != "" {
				saved[c.save] = rt
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(root, "events", "*.json"))
	for _, f := range files {
		// account_test.go sends the account function's events.
		if name := filepath.Base(f); !used[name] && !strings.HasPrefix(name, "account-") {
			t.Errorf("events/%s is sent by no test here", filepath.Base(f))
		}
	}

	// The sample events carry a caller IP; Auth0 must have been told it.
	forwarded := false
	for _, r := range s.auth0.Requests() {
		if r.Path == "/oauth/token" && r.Header.Get("Auth0-Forwarded-For") == "203.0.113.10" {
			forwarded = true
		}
	}
	if !forwarded {
		t.Error("no token request carried auth0-forwarded-for from the event's sourceIp")
	}
	if m := s.auth0.Messages(); len(m) != 1 || m[0].Kind != auth0test.MessagePasswordReset || m[0].To != "jane.doe@example.com" {
		t.Errorf("emails sent: %+v, want one password reset", m)
	}
	for name, f := range map[string]*rie.Function{"signup": signup, "token": token} {
		logs := f.Logs()
		if !strings.Contains(logs, `"msg":"init"`) {
			t.Errorf("%s: no init line in logs:\n%s", name, logs)
		}
		secrets := []string{"Correct-Horse-42", s.auth0.Config().ClientSecret, "jane.doe@example.com"}
		for _, rt := range saved {
			secrets = append(secrets, rt)
		}
		for _, v := range secrets {
			if strings.Contains(logs, v) {
				t.Errorf("%s: a credential or an unmasked email is in the logs:\n%s", name, logs)
			}
		}
	}
}

func jwtSubject(t *testing.T, jwt string) string {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT")
	}
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct{ Sub string }
	json.Unmarshal(raw, &c)
	return c.Sub
}

func TestTokenSurvivesManyInvocations(t *testing.T) {
	s := newStack(t)
	s.auth0.AddUser("jane.doe@example.com", "Correct-Horse-42")
	f := rie.StartT(t, hostBin["TokenFunction"], s.tokenEnv(s.arn)...)
	good, bad := loadEvent(t, "token.json"), loadEvent(t, "token-unsupported-grant.json")
	for i := 0; i < 200; i++ {
		payload, want := good, 200
		if i%4 == 3 {
			payload, want = bad, 400
		}
		if resp := invoke(t, f, payload); resp.StatusCode != want {
			t.Fatalf("invocation %d: %d %s", i, resp.StatusCode, resp.Body)
		}
	}
	if n := coldStarts(f); n != 1 {
		t.Fatalf("%d cold starts, want 1", n)
	}
}

func TestTokenRecoversWhenTheSecretAppears(t *testing.T) {
	s := newStack(t)
	s.auth0.AddUser("jane.doe@example.com", "Correct-Horse-42")
	name := mototest.UniqueName(t) + "-late"
	f := rie.StartT(t, hostBin["TokenFunction"], s.tokenEnv(name)...)

	resp := invoke(t, f, loadEvent(t, "token.json"))
	if resp.StatusCode != 503 || code(t, resp) != "secret_unavailable" {
		t.Fatalf("secret missing: %d %s", resp.StatusCode, resp.Body)
	}
	s.spec.Check(t, "POST", "/token", resp.StatusCode, resp.Headers, resp.Body)
	if logs := f.Logs(); !strings.Contains(logs, name) || !strings.Contains(logs, `"level":"ERROR"`) {
		t.Errorf("the cold-start ERROR line does not name the secret:\n%s", logs)
	}
	s.moto.CreateSecret(t, name, s.auth0.Config().ClientSecret) // a plain-string secret
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp = invoke(t, f, loadEvent(t, "token.json"))
		if resp.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery: %d %s", resp.StatusCode, resp.Body)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if n := coldStarts(f); n != 1 {
		t.Fatalf("%d cold starts, want 1: recovery must not need a new one", n)
	}
}

func TestMisconfiguredFunctionAnswers500AndStaysUp(t *testing.T) {
	f := rie.StartT(t, hostBin["TokenFunction"], "AUTH0_TOKEN_ISSUER=http://auth0.example.com")
	for i := 0; i < 3; i++ {
		resp := invoke(t, f, loadEvent(t, "token.json"))
		if resp.StatusCode != 500 || code(t, resp) != "server_misconfigured" {
			t.Fatalf("got %d %s", resp.StatusCode, resp.Body)
		}
	}
	logs := f.Logs()
	for _, v := range []string{"AUTH0_TOKEN_ISSUER", "AUTH0_CLIENT_ID", "AUTH0_TOKEN_AUDIENCE", "AUTH0_CLIENT_SECRET_ARN"} {
		if !strings.Contains(logs, v) {
			t.Errorf("init log does not name %s:\n%s", v, logs)
		}
	}
	// One init failure line over three invocations: the process stayed up.
	if n := strings.Count(logs, "init failed"); n != 1 || coldStarts(f) != 1 {
		t.Errorf("%d init failure lines, %d cold starts; want exactly 1", n, coldStarts(f))
	}
}
