package mototest

import (
	"os"
	"syscall"
)

// moto_server gets its own process group (so Cleanup can kill anything it
// spawns) and SIGKILL when the test binary dies, even by SIGKILL, which
// Cleanup cannot cover. Pdeathsig fires when the thread that started the
// child exits; Go keeps threads alive unless a goroutine locked to one exits,
// which test goroutines do not do.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func killTree(p *os.Process) {
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	_ = p.Kill()
}
