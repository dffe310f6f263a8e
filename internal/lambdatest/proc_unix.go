//go:build unix

package lambdatest

import (
	"errors"
	"os"
	"syscall"
)

// killGroup kills the process group that sysProcAttr created (pgid == pid).
// Process.kill only calls it before Wait has returned, so the pid has not
// been handed to another process (bar the instant between reaping and Done).
func killGroup(p *os.Process) error {
	err := syscall.Kill(-p.Pid, syscall.SIGKILL)
	if err == nil {
		return nil
	}
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return p.Kill()
}
