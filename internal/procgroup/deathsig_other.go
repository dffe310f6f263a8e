//go:build unix && !linux

package procgroup

import "syscall"

// No parent-death signal outside Linux: a caller killed with SIGKILL can
// leave the process behind.
func setDeathSig(*syscall.SysProcAttr, syscall.Signal) {}
