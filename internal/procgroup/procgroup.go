// Package procgroup starts helper processes (moto_server, the Lambda Runtime
// Interface Emulator) so that nothing outlives its caller: each runs in a
// process group of its own, which Kill ends as a whole, and on Linux the
// kernel signals it when the caller dies, even by SIGKILL.
package procgroup
