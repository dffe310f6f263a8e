package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/auth0-sam-go/authapi/internal/mototest"
	"github.com/auth0-sam-go/authapi/internal/rie"
	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
)

// The sample events sign up and log in this user; it is created up front
// for every function but signup, whose sample event creates it. The events
// of the authorizer's routes name it by sampleSub, which becomes the id the
// emulator gave it.
const (
	sampleEmail    = "jane.doe@example.com"
	samplePassword = "Correct-Horse-42"
	sampleSub      = "auth0|65f1c0ffee0123456789abcd"
)

// invokeMain is `dev -invoke` (make invoke): the built bootstrap runs once
// under AWS's Runtime Interface Emulator, like `sam local invoke` without
// Docker, against the embedded Auth0 emulator and a moto_server holding the
// client secret. The answer goes to stdout, the logs to stderr.
func invokeMain(args []string) int {
	fs := flag.NewFlagSet("dev -invoke", flag.ContinueOnError)
	function := fs.String("function", "", "the function's logical ID: SignupFunction, TokenFunction, MeFunction or AccountFunction")
	bootstrap := fs.String("bootstrap", "", "the function's built bootstrap")
	event := fs.String("event", "", "JSON event file")
	envFile := fs.String("env-file", "env.json", "variables per function, as for sam local invoke --env-vars")
	timeout := fs.Duration("timeout", 10*time.Second, "the function's timeout")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *function == "" || *bootstrap == "" || *event == "" || fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: dev -invoke -function NAME -bootstrap PATH -event FILE [-env-file env.json] [-timeout 10s]")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := invoke(ctx, *function, *bootstrap, *event, *envFile, *timeout, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "dev -invoke:", err)
		return 1
	}
	return 0
}

func invoke(ctx context.Context, function, bootstrap, eventFile, envFile string, timeout time.Duration, stdout, stderr io.Writer) error {
	event, err := os.ReadFile(eventFile)
	if err != nil {
		return err
	}
	vars, err := loadEnvFile(envFile, function)
	if err != nil {
		return err
	}
	a0 := auth0test.NewServer(auth0test.Config{})
	defer a0.Close()
	if function != "SignupFunction" {
		event = bytes.ReplaceAll(event, []byte(sampleSub), []byte(a0.AddUser(sampleEmail, samplePassword)))
	}
	moto, stopMoto, err := mototest.Launch()
	if err != nil {
		return err
	}
	defer stopMoto()
	c := a0.Config()
	var secret, mgmtSecret struct{ ARN string }
	if err := moto.Call("CreateSecret", map[string]any{"Name": "auth0-client-secret",
		"SecretString": `{"client_secret":"` + c.ClientSecret + `"}`}, &secret); err != nil {
		return err
	}
	if err := moto.Call("CreateSecret", map[string]any{"Name": "auth0-management-credentials",
		"SecretString": `{"client_id":"` + c.M2M.ID + `","client_secret":"` + c.M2M.Secret + `"}`}, &mgmtSecret); err != nil {
		return err
	}
	// The emulators stand in for the tenant and Secrets Manager that
	// env.json names; like Lambda, every function gets a region and
	// (here, dummy) credentials.
	for k, v := range map[string]string{"AUTH0_TOKEN_ISSUER": a0.URL, "AUTH0_CLIENT_ID": c.ClientID,
		"AUTH0_TOKEN_AUDIENCE": c.Audience, "AUTH0_CONNECTION": c.Connection,
		"AUTH0_CLIENT_SECRET_ARN": secret.ARN, "AUTH0_MANAGEMENT_SECRET_ARN": mgmtSecret.ARN,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": moto.Endpoint} {
		if _, ok := vars[k]; ok {
			vars[k] = v
		}
	}
	env := append(moto.Env(), "AWS_LAMBDA_FUNCTION_NAME="+function)
	for k, v := range vars {
		env = append(env, k+"="+v) // after moto's: env.json wins
	}
	fmt.Fprintf(stderr, "dev -invoke: %s under aws-lambda-rie; Auth0 emulator %s, moto_server %s\n", function, a0.URL, moto.Endpoint)

	f, err := rie.Start(bootstrap, timeout, env...)
	if err != nil {
		return err
	}
	out, err := f.Invoke(ctx, event)
	f.Stop()
	io.WriteString(stderr, f.Logs())
	if err != nil {
		return err
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, out, "", "  ") != nil {
		pretty.Write(out)
	}
	fmt.Fprintln(stdout, pretty.String())
	var failed struct{ ErrorType string }
	if json.Unmarshal(out, &failed) == nil && failed.ErrorType != "" {
		return fmt.Errorf("the function failed: %s", failed.ErrorType)
	}
	return nil
}

// loadEnvFile reads a SAM env.json: the "Parameters" section, then the
// function's own, which wins. Empty and null values count as unset.
func loadEnvFile(path, function string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc map[string]map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf(`%s: want {"FunctionName": {"VAR": "value"}, "Parameters": {...}}: %w`, path, err)
	}
	if _, ok := doc[function]; !ok {
		return nil, fmt.Errorf("%s has no %q section", path, function)
	}
	vars := map[string]string{}
	for _, section := range []string{"Parameters", function} {
		for k, v := range doc[section] {
			if s := fmt.Sprint(v); v != nil && s != "" {
				vars[k] = s
			}
		}
	}
	return vars, nil
}
