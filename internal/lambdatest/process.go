package lambdatest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Process is a bootstrap binary running against a Runtime, as one Lambda
// execution environment.
type Process struct {
	cmd     *exec.Cmd
	rt      *Runtime
	logs    *logBuffer
	started time.Time
	done    chan struct{}
	waitErr error // set before done is closed
}

// ProcessOption configures StartProcess.
type ProcessOption func(*processConfig)

type processConfig struct {
	logWriter io.Writer
}

// WithLogWriter also copies the function's output to w as it is written
// (os.Stderr, say), on top of keeping it for Logs. Write errors are ignored.
func WithLogWriter(w io.Writer) ProcessOption {
	return func(c *processConfig) { c.logWriter = w }
}

// StartProcess runs binary against rt, which must not have had a process
// before. The process gets the variables Lambda defines for a function
// (see lambdaEnv), then env ("KEY=value", later entries win); of the parent's
// environment only PATH, HOME and AWS credentials are passed on. Its working
// directory is the binary's directory, like /var/task in Lambda. stdout and
// stderr go to Logs.
//
// The process is killed when ctx ends, by Stop, after an invocation times
// out, and on Linux when the calling program dies. Call Stop when done.
func StartProcess(ctx context.Context, binary string, rt *Runtime, env []string, opts ...ProcessOption) (*Process, error) {
	var cfg processConfig
	for _, o := range opts {
		o(&cfg)
	}
	abs, err := filepath.Abs(binary)
	if err != nil {
		return nil, fmt.Errorf("lambdatest: %w", err)
	}
	environ, err := lambdaEnv(abs, rt.Addr(), env)
	if err != nil {
		return nil, err
	}

	logs := &logBuffer{tee: cfg.logWriter}
	cmd := exec.CommandContext(ctx, abs)
	cmd.Dir = filepath.Dir(abs)
	cmd.Env = environ
	// One writer for both: exec then uses a single pipe, so lines keep their order.
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = sysProcAttr()
	// Don't hang in Wait if something the bootstrap started keeps the pipe open.
	cmd.WaitDelay = time.Second

	p := &Process{cmd: cmd, rt: rt, logs: logs, done: make(chan struct{})}
	cmd.Cancel = p.kill
	if err := rt.attach(p, functionARN(environ)); err != nil {
		return nil, err
	}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		rt.detach(p)
		return nil, fmt.Errorf("lambdatest: start %s: %w", binary, err)
	}
	go p.wait()
	return p, nil
}

func (p *Process) wait() {
	p.waitErr = p.cmd.Wait()
	close(p.done)
	// After done, so that whoever sees a Runtime.ExitError also sees Exited.
	p.rt.processExited(p.waitErr)
}

// kill sends SIGKILL (to the process group on Unix) unless it already exited.
func (p *Process) kill() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := killProcess(p.cmd.Process); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}

// Stop kills the process if it is still running and waits until it has
// exited. It is safe to call more than once; it fails only if the process
// could not be killed.
func (p *Process) Stop() error {
	if err := p.kill(); err != nil {
		return fmt.Errorf("lambdatest: kill: %w", err)
	}
	<-p.done
	return nil
}

// Exited reports whether the process has exited and, if so, how: nil for
// status 0, an *exec.ExitError otherwise (also after Stop, as "signal: killed").
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.waitErr
	default:
		return false, nil
	}
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Pid is the operating system's process ID.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Logs returns everything the process wrote to stdout and stderr so far.
func (p *Process) Logs() string { return p.logs.String() }

// ReadyAfter is the cold start: the time from starting the process to its
// first /next call. It is 0 while init is still running.
func (p *Process) ReadyAfter() time.Duration {
	t := p.rt.readyTime()
	if t.IsZero() {
		return 0
	}
	return t.Sub(p.started)
}

type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	tee io.Writer
}

func (b *logBuffer) Write(data []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(data)
	if b.tee != nil {
		_, _ = b.tee.Write(data) // a closed terminal must not stop the capture
	}
	return len(data), nil
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Parent variables passed on. Lambda gives every function credentials (of
// its execution role) in these variables; the caller's stand in for them, as
// with sam local invoke.
var passedEnv = []string{"PATH", "HOME", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}

// lambdaEnv builds the process environment: extra, then for each variable
// Lambda defines for a provided.al2023 function and extra leaves out, its
// local default. AWS_LAMBDA_RUNTIME_API always points at the Runtime.
// https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
func lambdaEnv(binary, runtimeAPI string, extra []string) ([]string, error) {
	env := make(map[string]string)
	for _, kv := range extra {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("lambdatest: env entry %q is not KEY=value", kv)
		}
		env[k] = v
	}
	setDefault := func(k, v string) {
		if _, ok := env[k]; !ok {
			env[k] = v
		}
	}
	for _, k := range passedEnv {
		if v, ok := os.LookupEnv(k); ok {
			setDefault(k, v)
		}
	}
	dir := filepath.Dir(binary)
	setDefault("_HANDLER", "bootstrap")
	setDefault("AWS_LAMBDA_FUNCTION_NAME", "function")
	setDefault("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
	setDefault("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
	setDefault("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
	setDefault("AWS_REGION", "us-east-1")
	setDefault("AWS_DEFAULT_REGION", env["AWS_REGION"])
	setDefault("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/"+env["AWS_LAMBDA_FUNCTION_NAME"])
	setDefault("AWS_LAMBDA_LOG_STREAM_NAME", logStreamName(time.Now()))
	setDefault("LAMBDA_TASK_ROOT", dir)
	setDefault("LAMBDA_RUNTIME_DIR", dir)
	setDefault("LANG", "en_US.UTF-8")
	setDefault("TZ", ":UTC")
	// Lambda has no instance metadata service; without this an SDK lacking
	// credentials would spend seconds probing 169.254.169.254.
	setDefault("AWS_EC2_METADATA_DISABLED", "true")
	env["AWS_LAMBDA_RUNTIME_API"] = runtimeAPI

	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out, nil
}

func logStreamName(t time.Time) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return t.UTC().Format("2006/01/02") + "/[$LATEST]" + hex.EncodeToString(b[:])
}

// functionARN is the ARN Lambda would send in Lambda-Runtime-Invoked-Function-Arn.
func functionARN(environ []string) string {
	var name, region string
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "AWS_LAMBDA_FUNCTION_NAME="); ok {
			name = v
		} else if v, ok := strings.CutPrefix(kv, "AWS_REGION="); ok {
			region = v
		}
	}
	return "arn:aws:lambda:" + region + ":123456789012:function:" + name
}
