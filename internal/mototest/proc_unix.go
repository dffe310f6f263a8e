//go:build unix && !linux

package mototest

import (
	"os"
	"syscall"
)

// No Pdeathsig outside Linux: a killed test binary can leave moto_server behind.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func killTree(p *os.Process) {
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	_ = p.Kill()
}
