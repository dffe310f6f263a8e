//go:build !unix

package procgroup

import (
	"os"
	"os/exec"
	"syscall"
)

// Set does nothing here: no process groups.
func Set(*exec.Cmd, syscall.Signal) {}

// Kill kills the process alone.
func Kill(p *os.Process) error { return p.Kill() }
