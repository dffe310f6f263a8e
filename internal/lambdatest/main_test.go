package lambdatest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// echoBin is the testdata/echo function, built once for all tests.
var echoBin string

func TestMain(m *testing.M) {
	if os.Getenv("LAMBDATEST_HELPER") == "1" {
		helperMain() // see TestParentDeathKillsFunction
		return
	}
	dir, err := os.MkdirTemp("", "lambdatest-echo-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	echoBin = filepath.Join(dir, "bootstrap")
	if err := BuildTo("./internal/lambdatest/testdata/echo", echoBin); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if code == 0 {
		if err := checkNothingLeft(echoBin); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// checkNothingLeft fails if a goroutine of this package, an HTTP connection
// or an exec helper is still running, or (on Linux) an echo process is alive.
func checkNothingLeft(bin string) error {
	var leaked []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		leaked = leaked[:0]
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "lambdatest.TestMain") || strings.Contains(g, "lambdatest.checkNothingLeft") {
				continue
			}
			for _, marker := range []string{"internal/lambdatest.", "net/http.(*conn).serve", "net/http.(*persistConn)", "os/exec."} {
				if strings.Contains(g, marker) {
					leaked = append(leaked, g)
					break
				}
			}
		}
		leaked = append(leaked, echoProcesses(bin)...)
		if len(leaked) == 0 {
			return nil
		}
	}
	return fmt.Errorf("left running after the tests:\n%s", strings.Join(leaked, "\n\n"))
}

// echoProcesses lists live (not zombie) processes running bin, where /proc exists.
func echoProcesses(bin string) []string {
	entries, _ := os.ReadDir("/proc")
	var found []string
	for _, e := range entries {
		if exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err == nil && exe == bin {
			found = append(found, "process "+e.Name()+" "+exe)
		}
	}
	return found
}

// helperMain starts echo and then waits to be killed, to show that its
// function dies with it.
func helperMain() {
	rt := NewRuntime()
	p, err := StartProcess(context.Background(), os.Getenv("LAMBDATEST_ECHO"), rt, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rt.WaitReady(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(p.Pid())
	time.Sleep(time.Minute) // the test kills us long before
	os.Exit(2)
}
