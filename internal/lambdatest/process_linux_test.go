package lambdatest

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// TestParentDeathKillsFunction SIGKILLs a program that runs a function (the
// test binary in helper mode) and checks that Pdeathsig took the function
// down with it: no Stop, no cleanup ran.
func TestParentDeathKillsFunction(t *testing.T) {
	helper := exec.Command(os.Args[0], "-test.run=^$")
	helper.Env = append(os.Environ(), "LAMBDATEST_HELPER=1", "LAMBDATEST_ECHO="+echoBin)
	var stderr bytes.Buffer
	helper.Stderr = &stderr
	out, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { helper.Process.Kill(); helper.Wait() })

	line, err := bufio.NewReader(out).ReadString('\n')
	pid, convErr := strconv.Atoi(string(bytes.TrimSpace([]byte(line))))
	if err != nil || convErr != nil {
		t.Fatalf("helper said %q (%v); stderr:\n%s", line, err, stderr.String())
	}
	if !alive(pid) {
		t.Fatalf("function %d not running while its parent lives", pid)
	}
	helper.Process.Kill()
	helper.Wait()

	for deadline := time.Now().Add(5 * time.Second); alive(pid); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("function %d outlived its parent", pid)
		}
	}
}

// alive reports whether pid runs: not gone and not a zombie awaiting its
// (new) parent's wait.
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] != 'Z'
}
