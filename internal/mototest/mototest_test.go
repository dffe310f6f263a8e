package mototest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary act as a child test process (see
// TestHelperProcess) for the tests that need one.
const helperEnv = "MOTOTEST_HELPER"

func TestServerSecrets(t *testing.T) {
	s := Start(t)
	if !strings.HasPrefix(s.Endpoint, "http://127.0.0.1:") && os.Getenv(EndpointEnv) == "" {
		t.Errorf("Endpoint = %q, want http://127.0.0.1:PORT", s.Endpoint)
	}
	type value struct {
		ARN          string
		SecretString *string
		SecretBinary []byte
	}
	get := func(id string) (value, error) {
		var v value
		err := s.Call("GetSecretValue", map[string]any{"SecretId": id}, &v)
		return v, err
	}

	name := UniqueName(t)
	arn := s.CreateSecret(t, name, `{"client_secret":"one"}`)
	if !strings.HasPrefix(arn, "arn:aws:secretsmanager:us-east-1:") {
		t.Errorf("ARN = %q", arn)
	}
	for _, id := range []string{name, arn} {
		if v, err := get(id); err != nil || v.SecretString == nil || *v.SecretString != `{"client_secret":"one"}` {
			t.Fatalf("GetSecretValue(%s) = %+v, %v", id, v, err)
		}
	}

	s.PutSecretValue(t, arn, "two")
	if v, err := get(name); err != nil || v.SecretString == nil || *v.SecretString != "two" {
		t.Fatalf("after PutSecretValue: %+v, %v", v, err)
	}

	s.DeleteSecret(t, arn)
	if _, err := get(arn); err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Fatalf("after DeleteSecret: %v", err)
	}
	// Force-deleted names are free again at once.
	s.CreateSecret(t, name, "three")

	bin := []byte{0, 1, 2, 0xff}
	barn := s.CreateBinarySecret(t, UniqueName(t), bin)
	if v, err := get(barn); err != nil || v.SecretString != nil || !bytes.Equal(v.SecretBinary, bin) {
		t.Fatalf("binary secret: %+v, %v", v, err)
	}
}

func TestEnv(t *testing.T) {
	s := &Server{Endpoint: "http://127.0.0.1:1234"}
	want := map[string]string{
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:1234",
		"AWS_REGION":                       "us-east-1",
		"AWS_ACCESS_KEY_ID":                "test",
		"AWS_SECRET_ACCESS_KEY":            "test",
		"AWS_EC2_METADATA_DISABLED":        "true",
	}
	env := s.Env()
	if len(env) != len(want) {
		t.Fatalf("Env() = %q", env)
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if want[k] != v {
			t.Errorf("%s=%q, want %q", k, v, want[k])
		}
	}
	s.Setenv(t)
	for k, v := range want {
		if got := os.Getenv(k); got != v {
			t.Errorf("after Setenv %s=%q, want %q", k, got, v)
		}
	}
}

func TestUniqueName(t *testing.T) {
	a, b := UniqueName(t), UniqueName(t)
	if a == b || !strings.HasPrefix(a, "TestUniqueName-") {
		t.Errorf("names %q, %q", a, b)
	}
	t.Run("odd chars: ü * space", func(t *testing.T) {
		n := UniqueName(t)
		for _, r := range n {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/_+=.@-", r)) {
				t.Fatalf("name %q has %q", n, r)
			}
		}
	})
}

func TestCleanupStopsServer(t *testing.T) {
	if os.Getenv(EndpointEnv) != "" {
		t.Skip("shared endpoint: no process to stop")
	}
	var endpoint string
	t.Run("start", func(t *testing.T) { endpoint = Start(t).Endpoint })
	waitRefused(t, endpoint, 5*time.Second)
}

func TestSharedEndpoint(t *testing.T) {
	s := Start(t)
	t.Setenv(EndpointEnv, s.Endpoint+"/")
	if got := Start(t).Endpoint; got != s.Endpoint {
		t.Fatalf("with %s set, Endpoint = %q, want %q", EndpointEnv, got, s.Endpoint)
	}
}

// TestServerDiesWithTestBinary SIGKILLs a test process that started a
// moto_server (Cleanup cannot run) and checks the server goes too.
func TestServerDiesWithTestBinary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("relies on Pdeathsig")
	}
	if os.Getenv(EndpointEnv) != "" {
		t.Skip("shared endpoint: no process to stop")
	}
	cmd := helper(t, "serve")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	endpoint := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if ep, ok := strings.CutPrefix(sc.Text(), "ENDPOINT "); ok {
				endpoint <- ep
			}
		}
		close(endpoint)
	}()
	var ep string
	select {
	case ep = <-endpoint:
	case <-time.After(30 * time.Second):
		t.Fatal("child did not start moto_server")
	}
	if ep == "" {
		t.Fatal("child exited without starting moto_server")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	waitRefused(t, ep, 5*time.Second)
}

func TestMissingMotoServerFails(t *testing.T) {
	cmd := helper(t, "serve")
	cmd.Env = append(cmd.Env, "PATH="+t.TempDir())
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("child: %v, want a failing exit; output:\n%s", err, out)
	}
	if !strings.Contains(string(out), "moto_server not found on PATH") {
		t.Fatalf("output does not explain the missing moto_server:\n%s", out)
	}
}

func TestNonLoopbackEndpointRefused(t *testing.T) {
	cmd := helper(t, "serve")
	cmd.Env = append(cmd.Env, EndpointEnv+"=http://192.0.2.1:5000") // TEST-NET-1; never dialled
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "not a loopback address") {
		t.Fatalf("child: %v; output:\n%s", err, out)
	}
}

// TestHelperProcess is the child of the tests above, not a test by itself.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "serve" {
		t.Skip("helper process only")
	}
	s := Start(t)
	os.Stdout.WriteString("ENDPOINT " + s.Endpoint + "\n")
	time.Sleep(30 * time.Second) // the parent kills us long before this
}

func helper(t *testing.T, mode string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, EndpointEnv+"=") && !strings.HasPrefix(kv, helperEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, helperEnv+"="+mode)
	return cmd
}

// waitRefused polls until nothing listens at endpoint's address.
func waitRefused(t *testing.T, endpoint string, within time.Duration) {
	t.Helper()
	addr := strings.TrimPrefix(endpoint, "http://")
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		cancel()
		if err != nil {
			return
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("%s still answers %s later", endpoint, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
