//go:build !unix

package lambdatest

import (
	"os"
	"syscall"
)

func sysProcAttr() *syscall.SysProcAttr { return nil }

func killProcess(p *os.Process) error { return p.Kill() }
