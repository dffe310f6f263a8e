//go:build unix

package lambdatest

import (
	"errors"
	"syscall"
	"testing"
)

// assertGone checks that no process has the (reaped) pid any more.
func assertGone(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process %d still exists (kill 0: %v)", pid, err)
	}
}
