package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// make invoke FN=token, without make: the sample event logs in the sample
// user, whom invoke creates in the Auth0 emulator.
func TestInvokeRunsTheBootstrapOnce(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "bootstrap")
	build := exec.Command("go", "build", "-trimpath", "-tags", "lambda.norpc", "-o", bin, "../../functions/token")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	if err := invoke(ctx, "TokenFunction", bin, "../../events/token.json", "../../env.json", 10*time.Second, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	var resp struct {
		StatusCode int
		Body       string
	}
	if err := json.Unmarshal(stdout.Bytes(), &resp); err != nil || resp.StatusCode != 200 || !strings.Contains(resp.Body, `"token_type":"Bearer"`) {
		t.Fatalf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	if logs := stderr.String(); strings.Count(logs, `"msg":"init"`) != 1 || !strings.Contains(logs, "REPORT RequestId:") {
		t.Errorf("the function's logs are not on stderr:\n%s", logs)
	}
}

func TestLoadEnvFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "env.json")
	os.WriteFile(path, []byte(`{
		"Parameters": {"SHARED": "p", "OVERRIDDEN": "p", "PORT": 8080},
		"TokenFunction": {"OVERRIDDEN": "fn", "EMPTY": "", "NULL": null, "DEBUG": true}
	}`), 0o600)
	got, err := loadEnvFile(path, "TokenFunction")
	want := map[string]string{"SHARED": "p", "OVERRIDDEN": "fn", "PORT": "8080", "DEBUG": "true"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, %v; want %v", got, err, want)
	}
	if _, err := loadEnvFile(path, "SignupFunction"); err == nil {
		t.Error("a function without a section: no error")
	}
}
