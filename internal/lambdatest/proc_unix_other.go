//go:build unix && !linux

package lambdatest

import (
	"os"
	"syscall"
)

// sysProcAttr puts the function in its own process group (see the Linux
// version). There is no parent-death signal here: if the caller is killed
// with SIGKILL the function outlives it until its next Runtime API call
// fails, which makes aws-lambda-go exit.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

func killProcess(p *os.Process) error {
	return killGroup(p)
}
