package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

type config struct {
	bootstrap   string
	event       string // file, "-" for stdin, "" for {}
	timeout     time.Duration
	initTimeout time.Duration
	envFile     string
	function    string
	emulate     bool
}

// errUsage marks errors already explained by the flag package.
var errUsage = errors.New("usage")

func parseArgs(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.bootstrap, "bootstrap", "", "path of the function's `bootstrap` binary (required)")
	fs.StringVar(&c.event, "event", "", "JSON event `file`; - reads stdin; default {}")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Second, "function timeout (its context deadline)")
	fs.DurationVar(&c.initTimeout, "init-timeout", 10*time.Second, "how long init may take, as in Lambda")
	fs.StringVar(&c.envFile, "env-file", "", "SAM-format env.json with variables for the function")
	fs.StringVar(&c.function, "function", "", "function `name` (env.json section, AWS_LAMBDA_FUNCTION_NAME); default: the bootstrap's directory name")
	fs.BoolVar(&c.emulate, "emulate", false, "start an Auth0 emulator and a moto_server with the client secret, and point the function at them")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: invoke -bootstrap PATH [-event FILE] [-timeout 10s] [-env-file env.json -function TokenFunction]")
		fmt.Fprintln(fs.Output(), "Runs a provided.al2023 Lambda function once, like sam local invoke without Docker.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, errUsage
	}
	switch {
	case c.bootstrap == "":
		return c, errors.New("-bootstrap is required")
	case fs.NArg() > 0:
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	case c.timeout <= 0 || c.initTimeout <= 0:
		return c, errors.New("-timeout and -init-timeout must be positive")
	}
	if c.function == "" {
		c.function = defaultFunctionName(c.bootstrap)
	}
	return c, nil
}

// defaultFunctionName names the function after the bootstrap's directory,
// which is the function's logical ID in a sam build (.aws-sam/build/TokenFunction/bootstrap).
func defaultFunctionName(bootstrap string) string {
	abs, err := filepath.Abs(bootstrap)
	if err != nil {
		return "function"
	}
	name := filepath.Base(filepath.Dir(abs))
	if name == "." || name == string(filepath.Separator) {
		return "function"
	}
	return name
}

// readEvent returns the event to send; Lambda payloads are JSON.
func readEvent(path string, stdin io.Reader) ([]byte, error) {
	var (
		data []byte
		err  error
	)
	switch path {
	case "":
		return []byte("{}"), nil
	case "-":
		data, err = io.ReadAll(stdin)
	default:
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	if !json.Valid(data) {
		return nil, fmt.Errorf("event %s is not valid JSON", path)
	}
	return data, nil
}
