package main

import (
	"fmt"
	"io"

	"github.com/auth0-sam-go/authapi/internal/mototest"
	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
)

// The sample events in events/ sign up and log in this user; -emulate
// creates it for the token function so events/token.json works on its own,
// and not for signup, whose sample event creates it.
const (
	sampleEmail    = "jane.doe@example.com"
	samplePassword = "Correct-Horse-42"
)

// emulate starts an Auth0 emulator and a moto_server holding the client
// secret, and returns the environment that points a function at them. It
// goes after env.json's variables, so it wins.
func emulate(function string, stderr io.Writer) (env []string, stop func(), err error) {
	a0 := auth0test.NewServer(auth0test.Config{})
	if function != "SignupFunction" {
		a0.AddUser(sampleEmail, samplePassword)
	}
	moto, stopMoto, err := mototest.Launch()
	if err != nil {
		a0.Close()
		return nil, nil, err
	}
	stop = func() { stopMoto(); a0.Close() }
	c := a0.Config()
	var created struct{ ARN string }
	if err := moto.Call("CreateSecret", map[string]any{
		"Name": "auth0-client-secret", "SecretString": `{"client_secret":"` + c.ClientSecret + `"}`,
	}, &created); err != nil {
		stop()
		return nil, nil, err
	}
	fmt.Fprintf(stderr, "invoke: emulated Auth0 at %s, Secrets Manager at %s\n", a0.URL, moto.Endpoint)
	env = append([]string{
		"AUTH0_TOKEN_ISSUER=" + a0.URL,
		"AUTH0_CLIENT_ID=" + c.ClientID,
		"AUTH0_TOKEN_AUDIENCE=" + c.Audience,
		"AUTH0_CONNECTION=" + c.Connection,
		"AUTH0_CLIENT_SECRET_ARN=" + created.ARN,
	}, moto.Env()...)
	return env, stop, nil
}
