package lambdatest

import (
	"os"
	"syscall"
)

// sysProcAttr puts the function in its own process group, so that kill
// reaches whatever the bootstrap started and a terminal's Ctrl-C goes to the
// caller (which then stops the function) rather than straight to it.
// Pdeathsig makes the kernel kill the function when the thread that started
// it dies, so a test binary that crashes or is SIGKILLed leaves nothing
// running. Go only ends a thread when a goroutine exits while locked to it
// (runtime.LockOSThread); don't call StartProcess from such a goroutine.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func killProcess(p *os.Process) error {
	return killGroup(p)
}
