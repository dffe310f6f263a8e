package procgroup

import "syscall"

func setDeathSig(a *syscall.SysProcAttr, sig syscall.Signal) { a.Pdeathsig = sig }
