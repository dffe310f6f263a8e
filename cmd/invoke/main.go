// Command invoke runs a Lambda function's bootstrap binary once against an
// in-process Runtime API, like `sam local invoke` without Docker:
//
//	go run ./cmd/invoke -bootstrap PATH -event events/token.json [-timeout 10s] [-env-file env.json -function TokenFunction] [-emulate]
//
// With -emulate it also starts an Auth0 emulator and a moto_server holding
// the client secret, and points the function at them.
// The response (or error document) is printed as indented JSON on stdout,
// the function's logs and a REPORT line on stderr. Exit status: 0 on
// success, 1 when the function failed (error, panic, crash, timeout, init
// failure), 2 when invoke itself could not run it.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/auth0-sam-go/authapi/internal/lambdatest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, err := parseArgs(args, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case err != nil:
		fmt.Fprintln(stderr, "invoke:", err)
		return 2
	}
	event, err := readEvent(cfg.event, stdin)
	if err != nil {
		fmt.Fprintln(stderr, "invoke:", err)
		return 2
	}
	env := []string{"AWS_LAMBDA_FUNCTION_NAME=" + cfg.function}
	if cfg.envFile != "" {
		vars, found, err := loadEnvFile(cfg.envFile, cfg.function)
		if err != nil {
			fmt.Fprintln(stderr, "invoke:", err)
			return 2
		}
		if !found {
			fmt.Fprintf(stderr, "invoke: %s has no %q section; using %s only\n", cfg.envFile, cfg.function, parametersSection)
		}
		env = append(env, vars...) // an env.json AWS_LAMBDA_FUNCTION_NAME wins
	}
	if cfg.emulate {
		emulated, stop, err := emulate(cfg.function, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "invoke: -emulate:", err)
			return 2
		}
		defer stop()
		env = append(env, emulated...)
	}

	rt := lambdatest.NewRuntime()
	defer rt.Close()
	p, err := lambdatest.StartProcess(ctx, cfg.bootstrap, rt, env, lambdatest.WithLogWriter(stderr))
	if err != nil {
		fmt.Fprintln(stderr, "invoke:", err)
		return 2
	}
	defer p.Stop()

	initCtx, cancel := context.WithTimeout(ctx, cfg.initTimeout)
	err = rt.WaitReady(initCtx)
	cancel()
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		fmt.Fprintf(stderr, "invoke: init did not finish within %v\n", cfg.initTimeout)
		return 1
	}
	// Other init failures (crash, /init/error) come back from Invoke as the
	// function's error, as Lambda reports them.
	res, err := rt.Invoke(ctx, event, cfg.timeout)
	if err != nil {
		fmt.Fprintln(stderr, "invoke:", err)
		return 1
	}
	// Let the function finish up (aws-lambda-go logs after posting a panic,
	// say) and flush its logs to stderr before our output.
	idleCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	_ = rt.WaitIdle(idleCtx)
	cancel()
	_ = p.Stop()

	writeJSON(stdout, res.Payload)
	fmt.Fprintf(stderr, "REPORT RequestId: %s\tDuration: %.2f ms\tInit Duration: %.2f ms\n",
		res.RequestID, res.Duration.Seconds()*1000, p.ReadyAfter().Seconds()*1000)
	if res.Error != nil {
		fmt.Fprintln(stderr, "invoke: function failed:", res.Error)
		return 1
	}
	return 0
}

// writeJSON indents payload when it is JSON and prints it as is otherwise.
func writeJSON(w io.Writer, payload []byte) {
	var buf bytes.Buffer
	if err := json.Indent(&buf, payload, "", "  "); err != nil {
		buf.Reset()
		buf.Write(payload)
	}
	if !bytes.HasSuffix(buf.Bytes(), []byte("\n")) {
		buf.WriteByte('\n')
	}
	_, _ = w.Write(buf.Bytes())
}
