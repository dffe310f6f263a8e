package lambdatest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Build compiles the main package pkg into t.TempDir()/bootstrap and returns
// its path. pkg is resolved from the module root, so "./functions/token"
// works from any test in the module. The flags match a Lambda build (static,
// -trimpath, -tags lambda.norpc) but the target is the host's GOOS/GOARCH so
// the binary runs here.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bootstrap")
	if err := BuildTo(pkg, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// BuildTo is Build without a testing.TB: it builds pkg into the file out.
func BuildTo(pkg, out string) error {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("lambdatest: go command not found: %w", err)
	}
	root, err := moduleRoot(goTool)
	if err != nil {
		return err
	}
	// -buildvcs=false: the stamp is useless here and needs a working git.
	cmd := exec.Command(goTool, "build", "-trimpath", "-buildvcs=false", "-tags", "lambda.norpc", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("lambdatest: go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

func moduleRoot(goTool string) (string, error) {
	b, err := exec.Command(goTool, "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("lambdatest: go env GOMOD: %w", err)
	}
	gomod := string(bytes.TrimSpace(b))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("lambdatest: not inside a Go module")
	}
	return filepath.Dir(gomod), nil
}

// StartFunction starts binary on a new Runtime for the rest of the test: the
// process is stopped and the Runtime closed in t.Cleanup, and if the test
// failed the function's logs are written to the test log. env is as for
// StartProcess.
func StartFunction(t testing.TB, binary string, env ...string) (*Runtime, *Process) {
	t.Helper()
	rt := NewRuntime()
	p, err := StartProcess(context.Background(), binary, rt, env)
	if err != nil {
		rt.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Error(err)
		}
		rt.Close()
		if t.Failed() {
			t.Logf("function logs:\n%s", strings.TrimRight(p.Logs(), "\n"))
		}
	})
	return rt, p
}
