// Package mototest runs a real moto_server (Python moto) for tests that talk
// to AWS Secrets Manager. moto_server is a required test dependency.
//
// It speaks Secrets Manager's JSON protocol over plain HTTP so that only
// internal/secret imports the AWS SDK.
package mototest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/internal/procgroup"
	"github.com/auth0-sam-go/authapi/internal/syncbuf"
)

// EndpointEnv names a variable that, when set, points Start at an already
// running moto_server (e.g. one shared by CI) instead of starting one.
const EndpointEnv = "MOTO_ENDPOINT"

const (
	readyTimeout = 20 * time.Second
	pollInterval = 50 * time.Millisecond
	callTimeout  = 10 * time.Second
)

// Server is a moto_server reachable at Endpoint ("http://127.0.0.1:PORT").
type Server struct {
	Endpoint string
	client   *http.Client
}

// Start returns a running moto_server: the one at $MOTO_ENDPOINT if set,
// else a new process on 127.0.0.1 and a free port, killed (with its process
// group) by t.Cleanup. Its output is logged only if t fails.
func Start(t testing.TB) *Server {
	t.Helper()
	if ep := os.Getenv(EndpointEnv); ep != "" {
		s := newServer(t, strings.TrimRight(ep, "/"))
		if err := s.waitReady(nil); err != nil {
			t.Fatalf("mototest: %s=%s: %v", EndpointEnv, ep, err)
		}
		return s
	}
	path, err := exec.LookPath("moto_server")
	if err != nil {
		t.Fatalf("mototest: moto_server not found on PATH: it is a required test dependency " +
			"(pip install 'moto[server]==5.2.1'), or set " + EndpointEnv + " to a running one")
	}
	s, stop, out, err := launchOnFreePort(path)
	if err != nil {
		t.Fatalf("mototest: %v", err)
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("moto_server (%s) output:\n%s", s.Endpoint, out.String())
		}
	})
	return s
}

func newServer(t testing.TB, endpoint string) *Server {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "http" || u.Hostname() == "" {
		t.Fatalf("mototest: endpoint %q: want http://HOST:PORT", endpoint)
	}
	// Tests may only talk to this machine.
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		t.Fatalf("mototest: endpoint %q is not a loopback address", endpoint)
	}
	return &Server{
		Endpoint: endpoint,
		client: &http.Client{
			Timeout:   callTimeout,
			Transport: &http.Transport{Proxy: nil, DisableCompression: true},
		},
	}
}

// Launch starts a moto_server on 127.0.0.1 outside a test (make invoke and
// make bench use it); stop kills it and its process group.
func Launch() (s *Server, stop func(), err error) {
	path, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, nil, fmt.Errorf("moto_server not found on PATH (Python's moto provides it)")
	}
	s, stop, _, err = launchOnFreePort(path)
	return s, stop, err
}

// launchOnFreePort starts moto_server on a free port. The port is released
// before moto binds it, so another process may take it in between; a retry
// with a new port covers that.
func launchOnFreePort(path string) (s *Server, stop func(), out *syncbuf.Buffer, err error) {
	for range 3 {
		var l net.Listener
		if l, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, nil, nil, fmt.Errorf("find a free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if s, stop, out, err = launchProcess(path, port); err == nil {
			return s, stop, out, nil
		}
	}
	return nil, nil, nil, err
}

func launchProcess(path string, port int) (*Server, func(), *syncbuf.Buffer, error) {
	s := &Server{
		Endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
		client:   &http.Client{Timeout: callTimeout, Transport: &http.Transport{Proxy: nil, DisableCompression: true}},
	}
	out := &syncbuf.Buffer{}
	cmd := exec.Command(path, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1")
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, killed as a whole by stop, and SIGKILLed if
	// the test binary dies (Linux), which Cleanup cannot cover.
	procgroup.Set(cmd, syscall.SIGKILL)
	if err := cmd.Start(); err != nil {
		return nil, nil, nil, fmt.Errorf("start moto_server: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		select {
		case <-exited: // reaped: its pid may name another process now
		default:
			_ = procgroup.Kill(cmd.Process)
		}
		<-exited
	}
	if err := s.waitReady(exited); err != nil {
		stop()
		return nil, nil, nil, fmt.Errorf("moto_server on port %d: %v; output:\n%s", port, err, out.String())
	}
	return s, stop, out, nil
}

// waitReady polls moto's management API until it answers, the process exits
// (exited closes), or readyTimeout passes.
func (s *Server) waitReady(exited <-chan struct{}) error {
	deadline := time.Now().Add(readyTimeout)
	var lastErr error
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.Endpoint+"/moto-api/", nil)
		resp, err := s.client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				cancel()
				return nil
			}
			err = fmt.Errorf("GET /moto-api/: %s", resp.Status)
		}
		cancel()
		lastErr = err
		if time.Now().After(deadline) {
			return fmt.Errorf("not answering after %s: %v", readyTimeout, lastErr)
		}
		select {
		case <-exited:
			return fmt.Errorf("exited before answering")
		case <-time.After(pollInterval):
		}
	}
}

// Env returns the environment that points the AWS SDK (in this process or
// a child) at this server with dummy credentials.
func (s *Server) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL_SECRETS_MANAGER=" + s.Endpoint,
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// Setenv sets Env() for the duration of t (so t cannot be parallel).
func (s *Server) Setenv(t testing.TB) {
	t.Helper()
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

var nameSeq struct {
	sync.Mutex
	n int
}

// UniqueName returns a secret name derived from t.Name() plus a random
// suffix, so tests (and repeated runs) can share one endpoint.
func UniqueName(t testing.TB) string {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	nameSeq.Lock()
	nameSeq.n++
	n := nameSeq.n
	nameSeq.Unlock()
	// Secret names allow ASCII letters, digits and /_+=.@-.
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("/_+=.@-", r):
			return r
		}
		return '-'
	}, t.Name())
	if len(name) > 400 {
		name = name[:400]
	}
	return fmt.Sprintf("%s-%d-%s", name, n, hex.EncodeToString(b[:]))
}

// CreateSecret creates a string secret and returns its ARN. The secret is
// force-deleted when t ends, for endpoints shared between tests.
func (s *Server) CreateSecret(t testing.TB, name, value string) (arn string) {
	t.Helper()
	return s.create(t, map[string]any{"Name": name, "SecretString": value})
}

// CreateBinarySecret creates a secret holding only SecretBinary and returns
// its ARN. It is force-deleted when t ends.
func (s *Server) CreateBinarySecret(t testing.TB, name string, b []byte) string {
	t.Helper()
	return s.create(t, map[string]any{"Name": name, "SecretBinary": b}) // []byte marshals as base64, as the protocol wants
}

func (s *Server) create(t testing.TB, in map[string]any) string {
	t.Helper()
	var out struct{ ARN string }
	if err := s.Call("CreateSecret", in, &out); err != nil {
		t.Fatalf("mototest: %v", err)
	}
	t.Cleanup(func() {
		_ = s.Call("DeleteSecret", map[string]any{"SecretId": out.ARN, "ForceDeleteWithoutRecovery": true}, nil)
	})
	return out.ARN
}

// PutSecretValue stores a new string version of id and makes it AWSCURRENT,
// as a rotation does.
func (s *Server) PutSecretValue(t testing.TB, id, value string) {
	t.Helper()
	if err := s.Call("PutSecretValue", map[string]any{"SecretId": id, "SecretString": value}, nil); err != nil {
		t.Fatalf("mototest: %v", err)
	}
}

// DeleteSecret deletes id at once, without a recovery window.
func (s *Server) DeleteSecret(t testing.TB, id string) {
	t.Helper()
	if err := s.Call("DeleteSecret", map[string]any{"SecretId": id, "ForceDeleteWithoutRecovery": true}, nil); err != nil {
		t.Fatalf("mototest: %v", err)
	}
}

// Call invokes a Secrets Manager action (e.g. "GetSecretValue") with the
// JSON request in, decoding the JSON answer into out if non-nil. A non-200
// answer is an error carrying moto's error type and message.
func (s *Server) Call(action string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	req, err := http.NewRequest(http.MethodPost, s.Endpoint+"/", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "secretsmanager."+action)
	// moto picks the service and region from the SigV4 credential scope
	// (without it the request goes to S3); it does not check the signature.
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20000101/us-east-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s: read answer: %w", action, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &e) == nil && e.Type != "" {
			return fmt.Errorf("%s: %s: %s: %s", action, resp.Status, e.Type, e.Message)
		}
		return fmt.Errorf("%s: %s: %.200s", action, resp.Status, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s: decode answer: %w", action, err)
		}
	}
	return nil
}
