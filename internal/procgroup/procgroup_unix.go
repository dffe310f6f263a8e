//go:build unix

package procgroup

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// Set makes cmd start in a new process group, and (Linux only) sends its
// leader deathSig when the thread that started it exits. Go ends a thread
// only when a goroutine locked to it (runtime.LockOSThread) exits; don't
// start commands from such a goroutine.
func Set(cmd *exec.Cmd, deathSig syscall.Signal) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setDeathSig(cmd.SysProcAttr, deathSig)
}

// Kill sends SIGKILL to the group Set created (pgid == pid). Call it only
// before Wait has returned, so that the pid still names this process.
func Kill(p *os.Process) error {
	err := syscall.Kill(-p.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	if err != nil {
		return p.Kill()
	}
	return nil
}
