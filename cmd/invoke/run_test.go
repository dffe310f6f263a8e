package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auth0-sam-go/authapi/internal/lambdatest"
)

// runInvoke runs the command against the lambdatest echo function.
func runInvoke(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRunEcho(t *testing.T) {
	bin := lambdatest.Build(t, "./internal/lambdatest/testdata/echo")

	t.Run("success", func(t *testing.T) {
		code, stdout, stderr := runInvoke(t, "", "-bootstrap", bin, "-event", "testdata/event.json",
			"-env-file", "testdata/env.json", "-function", "EchoFunction")
		if code != 0 {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
		var resp struct {
			Payload map[string]any     `json:"payload"`
			Env     map[string]*string `json:"env"`
		}
		if err := json.Unmarshal([]byte(stdout), &resp); err != nil {
			t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
		}
		if !strings.Contains(stdout, "\n  \"payload\": {") {
			t.Errorf("stdout not indented:\n%s", stdout)
		}
		if resp.Payload["hello"] != "world" {
			t.Errorf("payload = %v", resp.Payload)
		}
		want := map[string]string{"STAGE": "test", "SHARED": "from-function", "ECHO_ONLY": "yes", "AWS_LAMBDA_FUNCTION_NAME": "EchoFunction"}
		for k, v := range want {
			if got := resp.Env[k]; got == nil || *got != v {
				t.Errorf("%s = %v, want %q", k, got, v)
			}
		}
		if resp.Env["OTHER_ONLY"] != nil {
			t.Error("another function's variable was set")
		}
		for _, s := range []string{"echo: init done", "REPORT RequestId: "} {
			if !strings.Contains(stderr, s) {
				t.Errorf("stderr lacks %q:\n%s", s, stderr)
			}
		}
	})

	t.Run("stdin and default name", func(t *testing.T) {
		// The function is named after the bootstrap's directory.
		dir := filepath.Join(t.TempDir(), "EchoFunction")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		named := filepath.Join(dir, "bootstrap")
		if err := os.Link(bin, named); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := runInvoke(t, `{"env":["AWS_LAMBDA_FUNCTION_NAME","ECHO_ONLY"]}`, "-bootstrap", named, "-event", "-", "-env-file", "testdata/env.json")
		if code != 0 || !strings.Contains(stdout, `"AWS_LAMBDA_FUNCTION_NAME": "EchoFunction"`) || !strings.Contains(stdout, `"ECHO_ONLY": "yes"`) {
			t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
	})

	failures := []struct {
		name, event, wantStdout, wantStderr string
		extra                               []string
	}{
		{"function error", `{"error":"boom"}`, `"errorType": "errorString"`, "function failed: errorString: boom", nil},
		{"panic", `{"panic":"kaboom"}`, `"errorMessage": "kaboom"`, "resulted in a panic", nil},
		{"timeout", `{"hang":true}`, `"errorType": "Sandbox.Timedout"`, "Task timed out after 0.30 seconds", []string{"-timeout", "300ms"}},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-bootstrap", bin, "-event", "-"}, tt.extra...)
			code, stdout, stderr := runInvoke(t, tt.event, args...)
			if code != 1 || !strings.Contains(stdout, tt.wantStdout) || !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
		})
	}

	t.Run("init failure", func(t *testing.T) {
		env := filepath.Join(t.TempDir(), "env.json")
		if err := os.WriteFile(env, []byte(`{"Parameters": {"ECHO_INIT_FAIL": "1"}}`), 0o644); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := runInvoke(t, "", "-bootstrap", bin, "-env-file", env)
		if code != 1 || !strings.Contains(stdout, `"errorType": "Runtime.ExitError"`) || !strings.Contains(stderr, "echo: init failed on purpose") {
			t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
	})

	t.Run("init timeout", func(t *testing.T) {
		env := filepath.Join(t.TempDir(), "env.json")
		if err := os.WriteFile(env, []byte(`{"Parameters": {"ECHO_INIT_SLEEP": "5s"}}`), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := runInvoke(t, "", "-bootstrap", bin, "-env-file", env, "-init-timeout", "200ms")
		if code != 1 || !strings.Contains(stderr, "init did not finish within 200ms") {
			t.Errorf("exit %d\nstderr: %s", code, stderr)
		}
	})
}

func TestRunUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-bootstrap", "testdata/no-such-bootstrap"},
		{"-bootstrap", "x", "-event", "testdata/missing.json"},
		{"-bootstrap", "x", "-env-file", "testdata/missing.json"},
	} {
		if code, _, stderr := runInvoke(t, "", args...); code != 2 {
			t.Errorf("%q: exit %d, want 2\n%s", args, code, stderr)
		}
	}
	if code, _, _ := runInvoke(t, "", "-h"); code != 0 {
		t.Errorf("-h: exit %d", code)
	}
}

// -emulate must make the real token function answer the sample event with
// a token, with nothing else running.
func TestEmulateRunsTheTokenFunctionWithItsSampleEvent(t *testing.T) {
	bin := lambdatest.Build(t, "./functions/token")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-bootstrap", bin, "-function", "TokenFunction",
		"-event", "../../events/token.json", "-env-file", "../../env.json", "-emulate"}, nil, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, &stdout, &stderr)
	}
	var resp struct {
		StatusCode int
		Body       string
	}
	if err := json.Unmarshal(stdout.Bytes(), &resp); err != nil || resp.StatusCode != 200 || !strings.Contains(resp.Body, `"data":"ey`) {
		t.Fatalf("response %s (%v)", &stdout, err)
	}
}
