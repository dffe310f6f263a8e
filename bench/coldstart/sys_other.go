//go:build !linux

package main

import (
	"os"
	"syscall"
)

func sysProcAttr() *syscall.SysProcAttr { return nil }

func killTree(p *os.Process) { _ = p.Kill() }
