// Package rie runs a built bootstrap under AWS's Lambda Runtime Interface
// Emulator (the aws-lambda-rie tool declared in go.mod), on 127.0.0.1, for
// the black-box tests, make invoke and make bench.
package rie

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/internal/procgroup"
	"github.com/auth0-sam-go/authapi/internal/syncbuf"
)

// Function is one execution environment: the emulator, and the bootstrap
// it starts at the first Invoke (the cold start) and keeps for later ones.
type Function struct {
	url    string
	cmd    *exec.Cmd
	out    syncbuf.Buffer
	exited chan struct{}
	client *http.Client
	stop   sync.Once
}

// emulator is the aws-lambda-rie binary for this machine, built or found
// in the build cache by the go command.
var emulator = sync.OnceValues(func() (string, error) {
	cmd := exec.Command("go", "tool", "-n", "aws-lambda-rie")
	cmd.Env = append(os.Environ(), "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("rie: go tool -n aws-lambda-rie (run inside the module): %w", err)
	}
	return strings.TrimSpace(string(out)), nil
})

// Start runs bootstrap under the emulator on free loopback ports and
// returns once both ports accept connections. env is the function's whole
// environment (the emulator hands its own to the bootstrap; nothing of ours
// is passed on); timeout is rounded up to whole seconds. Call Stop when done.
func Start(bootstrap string, timeout time.Duration, env ...string) (*Function, error) {
	bin, err := emulator()
	if err != nil {
		return nil, err
	}
	if bootstrap, err = filepath.Abs(bootstrap); err != nil {
		return nil, err
	}
	secs := int((timeout + time.Second - 1) / time.Second)
	env = append(slices.Clip(env), "AWS_LAMBDA_FUNCTION_TIMEOUT="+strconv.Itoa(max(secs, 1)))
	for try := 1; ; try++ { // a port may be taken between picking and binding it
		if f, err := launch(bin, bootstrap, env); err == nil || try == 3 {
			return f, err
		}
	}
}

// freeAddrs picks two free loopback ports, held open together so they differ.
func freeAddrs() (addrs []string, err error) {
	for range 2 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs, nil
}

func launch(bin, bootstrap string, env []string) (*Function, error) {
	addrs, err := freeAddrs()
	if err != nil {
		return nil, err
	}
	f := &Function{url: "http://" + addrs[0] + "/2015-03-31/functions/function/invocations",
		exited: make(chan struct{}), client: &http.Client{Transport: &http.Transport{Proxy: nil}}}
	f.cmd = exec.Command(bin, "--runtime-interface-emulator-address", addrs[0], "--runtime-api-address", addrs[1], bootstrap)
	f.cmd.Dir, f.cmd.Env = filepath.Dir(bootstrap), env // the directory is Lambda's /var/task
	f.cmd.Stdout, f.cmd.Stderr = &f.out, &f.out         // one pipe, which the bootstrap writes to as well
	f.cmd.WaitDelay = time.Second
	// On SIGTERM the emulator SIGKILLs the bootstrap (in a process group of
	// its own) and exits; so Stop, or our death, ends both.
	procgroup.Set(f.cmd, syscall.SIGTERM)
	if err := f.cmd.Start(); err != nil {
		return nil, fmt.Errorf("rie: %w", err)
	}
	go func() { _ = f.cmd.Wait(); close(f.exited) }()
	for deadline := time.Now().Add(20 * time.Second); !listening(addrs); time.Sleep(10 * time.Millisecond) {
		if exited(f.exited) || time.Now().After(deadline) {
			f.Stop()
			return nil, fmt.Errorf("rie: emulator (ports %v) exited or not listening after 20s:\n%s", addrs, f.Logs())
		}
	}
	return f, nil
}

func listening(addrs []string) bool {
	for _, a := range addrs {
		c, err := net.DialTimeout("tcp", a, time.Second)
		if err != nil {
			return false
		}
		c.Close()
	}
	return true
}

// StartT is Start for a test, with a 10 s function timeout: Stop runs at
// cleanup, and the output goes to the test log if t failed.
func StartT(t testing.TB, bootstrap string, env ...string) *Function {
	t.Helper()
	f, err := Start(bootstrap, 10*time.Second, env...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		f.Stop()
		if t.Failed() {
			t.Logf("function output:\n%s", f.Logs())
		}
	})
	return f
}

// Invoke sends event and returns the answer as the emulator gives it: the
// response payload, or the error document the runtime posted. When it
// returns, Logs holds all output up to the end of this invocation.
func (f *Function) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	id := rand.Text()
	from := len(f.Logs())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(event))
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Amzn-RequestId", id)
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("rie: invoke: %w", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("rie: invoke: %s %.300q %v", resp.Status, body, err)
	}
	// The emulator writes this line after the function's output, into the
	// same pipe, before it answers: once it is copied, so is the rest.
	for wait := time.Now().Add(10 * time.Second); !strings.Contains(f.Logs()[from:], "REPORT RequestId: "+id); time.Sleep(time.Millisecond) {
		if exited(f.exited) && !strings.Contains(f.Logs()[from:], "REPORT RequestId: "+id) || time.Now().After(wait) {
			return nil, fmt.Errorf("rie: no REPORT line for %s:\n%s", id, f.Logs())
		}
	}
	return body, nil
}

func exited(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// Logs returns what the bootstrap and the emulator wrote so far.
func (f *Function) Logs() string { return f.out.String() }

// Stop ends the emulator and the bootstrap and waits for them, after which
// Logs is complete. It may be called more than once.
func (f *Function) Stop() {
	f.stop.Do(func() {
		_ = f.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-f.exited:
		case <-time.After(5 * time.Second):
			_ = procgroup.Kill(f.cmd.Process)
			<-f.exited
		}
		f.client.CloseIdleConnections()
	})
}

// BootstrapPID is the running bootstrap's process ID, or 0 (from /proc:
// Linux only).
func (f *Function) BootstrapPID() int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		// "pid (comm) state ppid ...", where comm may hold ") ".
		if i := bytes.LastIndexByte(stat, ')'); i > 0 {
			if fs := strings.Fields(string(stat[i+1:])); len(fs) > 1 && fs[1] == strconv.Itoa(f.cmd.Process.Pid) {
				pid, _ := strconv.Atoi(e.Name())
				return pid
			}
		}
	}
	return 0
}
