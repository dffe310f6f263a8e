package rie

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests run the GET /me function: it needs no configuration and
// logs one "request" line per invocation.
var (
	meBin   string
	meEvent []byte
)

func TestMain(m *testing.M) {
	if os.Getenv("RIE_HELPER") != "" {
		helperMain() // see TestParentDeathEndsFunction
		return
	}
	dir, err := os.MkdirTemp("", "rie-")
	if err != nil {
		panic(err)
	}
	meBin = filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-trimpath", "-tags", "lambda.norpc", "-o", meBin, "../../functions/me")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "%v\n%s", err, out)
		os.Exit(1)
	}
	if meEvent, err = os.ReadFile("../../events/me.json"); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func invoke(t *testing.T, f *Function, event []byte) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := f.Invoke(ctx, event)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Each invocation's log line is in Logs as soon as Invoke returns, and one
// process serves them all.
func TestLogsHoldEachInvocation(t *testing.T) {
	f := StartT(t, meBin)
	for i := 1; i <= 30; i++ {
		var resp struct{ StatusCode int }
		if out := invoke(t, f, meEvent); json.Unmarshal(out, &resp) != nil || resp.StatusCode != 200 {
			t.Fatalf("invocation %d answered %s", i, out)
		}
		logs := f.Logs()
		if n := strings.Count(logs, `"msg":"request"`); n != i {
			t.Fatalf("after %d invocations, %d request lines in the logs:\n%s", i, n, logs)
		}
		if n := strings.Count(logs, `"msg":"init"`); n != 1 {
			t.Fatalf("%d init lines, want 1 (one cold start)", n)
		}
	}
}

// A function error comes back as the runtime's error document.
func TestFunctionErrorIsTheErrorDocument(t *testing.T) {
	f := StartT(t, meBin)
	var doc struct{ ErrorType, ErrorMessage string }
	if out := invoke(t, f, []byte(`"not an event"`)); json.Unmarshal(out, &doc) != nil || doc.ErrorType == "" || doc.ErrorMessage == "" {
		t.Fatalf("answered %s, want an error document", out)
	}
}

func TestStopEndsTheBootstrap(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("finds the bootstrap in /proc")
	}
	f := StartT(t, meBin)
	invoke(t, f, meEvent)
	pid := f.BootstrapPID()
	if !alive(pid) {
		t.Fatalf("bootstrap pid %d not running after an invocation", pid)
	}
	f.Stop()
	waitGone(t, pid)
	if _, err := f.Invoke(context.Background(), meEvent); err == nil {
		t.Error("Invoke after Stop succeeded")
	}
}

// TestParentDeathEndsFunction SIGKILLs a program that started a function
// (this test binary as a helper): no Stop runs, yet the emulator and the
// bootstrap must go.
func TestParentDeathEndsFunction(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("relies on Pdeathsig")
	}
	helper := exec.Command(os.Args[0], "-test.run=^$")
	helper.Env = append(os.Environ(), "RIE_HELPER=1", "RIE_BOOTSTRAP="+meBin)
	out, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	helper.Stderr = os.Stderr
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = helper.Process.Kill(); _ = helper.Wait() }()
	var emulatorPID, bootstrapPID int
	line, _ := bufio.NewReader(out).ReadString('\n')
	if _, err := fmt.Sscan(line, &emulatorPID, &bootstrapPID); err != nil || !alive(emulatorPID) || !alive(bootstrapPID) {
		t.Fatalf("helper said %q (%v)", line, err)
	}
	_ = helper.Process.Signal(syscall.SIGKILL)
	_ = helper.Wait()
	waitGone(t, emulatorPID)
	waitGone(t, bootstrapPID)
}

// helperMain starts a function, invokes it once, prints the two pids and
// waits to be killed.
func helperMain() {
	f, err := Start(os.Getenv("RIE_BOOTSTRAP"), 10*time.Second)
	if err != nil {
		panic(err)
	}
	event, _ := os.ReadFile("../../events/me.json")
	if _, err := f.Invoke(context.Background(), event); err != nil {
		panic(err)
	}
	fmt.Println(f.cmd.Process.Pid, f.BootstrapPID())
	time.Sleep(time.Minute) // the test kills us long before
	os.Exit(2)
}

// alive reports whether pid runs (exists and is not a zombie).
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if pid <= 0 || err != nil {
		return false
	}
	i := strings.LastIndexByte(string(stat), ')')
	return i > 0 && i+2 < len(stat) && stat[i+2] != 'Z'
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); alive(pid); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still running", pid)
		}
	}
}
