// Package blackbox tests the deployable artifacts: the bootstrap binaries
// built by the Makefile targets SAM calls, run under AWS's Lambda Runtime
// Interface Emulator (internal/rie), with moto_server as Secrets Manager and
// auth0test as Auth0, fed the sample events in events/.
package blackbox
