// Package blackbox tests the deployable artifacts: the bootstrap binaries
// built by the Makefile targets SAM calls, run as processes against a Lambda
// Runtime API (internal/lambdatest), with moto_server as Secrets Manager and
// auth0test as Auth0, fed the sample events in events/.
package blackbox
