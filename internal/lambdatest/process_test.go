package lambdatest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// These tests run testdata/echo, a real aws-lambda-go function.

type echoResponse struct {
	Payload      json.RawMessage    `json:"payload"`
	RequestID    string             `json:"requestId"`
	FunctionARN  string             `json:"functionArn"`
	FunctionName string             `json:"functionName"`
	TraceID      string             `json:"traceId"`
	RemainingMS  int64              `json:"remainingMs"`
	Invocation   int64              `json:"invocation"`
	PID          int                `json:"pid"`
	Env          map[string]*string `json:"env"`
}

func invoke(t *testing.T, rt *Runtime, payload string, timeout time.Duration) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := rt.Invoke(ctx, []byte(payload), timeout)
	if err != nil {
		t.Fatalf("Invoke(%s): %v", payload, err)
	}
	return res
}

func invokeEcho(t *testing.T, rt *Runtime, payload string) echoResponse {
	t.Helper()
	res := invoke(t, rt, payload, 5*time.Second)
	if res.Error != nil {
		t.Fatalf("Invoke(%s): function error %v", payload, res.Error)
	}
	var out echoResponse
	if err := json.Unmarshal(res.Payload, &out); err != nil {
		t.Fatalf("response %s: %v", res.Payload, err)
	}
	if out.RequestID != res.RequestID {
		t.Errorf("function saw request ID %q, Result has %q", out.RequestID, res.RequestID)
	}
	return out
}

func waitExit(t *testing.T, p *Process) error {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("process did not exit")
	}
	exited, err := p.Exited()
	if !exited {
		t.Fatal("Exited() = false after Done")
	}
	return err
}

func TestEchoInvoke(t *testing.T) {
	t.Setenv("LAMBDATEST_PARENT_ONLY", "x") // must not reach the function
	rt, p := StartFunction(t, echoBin, "AWS_LAMBDA_FUNCTION_NAME=EchoFunction", "ECHO_VAR=a=b")
	if err := rt.WaitReady(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p.ReadyAfter() <= 0 {
		t.Errorf("ReadyAfter() = %v, want > 0", p.ReadyAfter())
	}

	out := invokeEcho(t, rt, `{"log":"hello from the handler","env":["AWS_LAMBDA_RUNTIME_API","AWS_LAMBDA_FUNCTION_NAME","AWS_REGION","AWS_DEFAULT_REGION","_HANDLER","TZ","LAMBDA_TASK_ROOT","AWS_LAMBDA_LOG_GROUP_NAME","ECHO_VAR","LAMBDATEST_PARENT_ONLY"]}`)
	want := map[string]string{
		"AWS_LAMBDA_RUNTIME_API":    rt.Addr(),
		"AWS_LAMBDA_FUNCTION_NAME":  "EchoFunction",
		"AWS_REGION":                "us-east-1",
		"AWS_DEFAULT_REGION":        "us-east-1",
		"_HANDLER":                  "bootstrap",
		"TZ":                        ":UTC",
		"LAMBDA_TASK_ROOT":          filepath.Dir(echoBin),
		"AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/EchoFunction",
		"ECHO_VAR":                  "a=b",
	}
	for k, v := range want {
		if got := out.Env[k]; got == nil || *got != v {
			t.Errorf("%s = %v, want %q", k, got, v)
		}
	}
	if out.Env["LAMBDATEST_PARENT_ONLY"] != nil {
		t.Error("the parent's environment leaked into the function")
	}
	if out.FunctionName != "EchoFunction" || out.FunctionARN != "arn:aws:lambda:us-east-1:123456789012:function:EchoFunction" {
		t.Errorf("name %q, ARN %q", out.FunctionName, out.FunctionARN)
	}
	if !strings.HasPrefix(out.TraceID, "Root=1-") {
		t.Errorf("_X_AMZN_TRACE_ID = %q", out.TraceID)
	}
	if !json.Valid(out.Payload) || !bytes.Contains(out.Payload, []byte("hello from the handler")) {
		t.Errorf("echoed payload = %s", out.Payload)
	}
	if out.PID != p.Pid() {
		t.Errorf("function pid %d, Process.Pid %d", out.PID, p.Pid())
	}
	logs := p.Logs()
	for _, s := range []string{"echo: init done", "hello from the handler"} {
		if !strings.Contains(logs, s) {
			t.Errorf("logs lack %q:\n%s", s, logs)
		}
	}
}

func TestEchoDeadline(t *testing.T) {
	// Invoked during a 500ms init: the deadline starts when the event is
	// handed out, so init must not eat into it.
	rt, _ := StartFunction(t, echoBin, "ECHO_INIT_SLEEP=500ms")
	for _, timeout := range []time.Duration{time.Second, 30 * time.Second} {
		res := invoke(t, rt, `{}`, timeout)
		var got echoResponse
		if err := json.Unmarshal(res.Payload, &got); err != nil || res.Error != nil {
			t.Fatalf("%s: %v %v", res.Payload, err, res.Error)
		}
		if left := time.Duration(got.RemainingMS) * time.Millisecond; left <= timeout-400*time.Millisecond || left > timeout {
			t.Errorf("timeout %v: function saw %v left", timeout, left)
		}
	}
}

func TestEchoFunctionErrorKeepsProcess(t *testing.T) {
	rt, p := StartFunction(t, echoBin)
	res := invoke(t, rt, `{"error":"boom"}`, 5*time.Second)
	// aws-lambda-go names the error by its Go type: errors.New gives *errors.errorString.
	if !sameError(res.Error, FunctionError{ErrorType: "errorString", ErrorMessage: "boom"}) {
		t.Fatalf("Error = %+v", res.Error)
	}
	if err := rt.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	if exited, _ := p.Exited(); exited {
		t.Fatal("process exited after a returned error")
	}
	if out := invokeEcho(t, rt, `{}`); out.Invocation != 1 || out.PID != p.Pid() {
		t.Errorf("next invocation ran in %d as #%d, want the same process", out.PID, out.Invocation)
	}
}

func TestEchoPanicEndsProcess(t *testing.T) {
	rt, p := StartFunction(t, echoBin)
	res := invoke(t, rt, `{"panic":"kaboom"}`, 5*time.Second)
	// The panic value's type names the error; the stack comes along.
	if !sameError(res.Error, FunctionError{ErrorType: "string", ErrorMessage: "kaboom"}) || !bytes.Contains(res.Error.StackTrace, []byte(`"label"`)) {
		t.Fatalf("Error = %+v", res.Error)
	}
	// After reporting a panic aws-lambda-go exits with status 1 (log.Fatalf).
	if err := rt.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	var exitErr *exec.ExitError
	if err := waitExit(t, p); !errors.As(err, &exitErr) || exitErr.ExitCode() != 1 {
		t.Errorf("exit: %v, want exit status 1", err)
	}
	if !strings.Contains(p.Logs(), "calling the handler function resulted in a panic, the process should exit") {
		t.Errorf("logs:\n%s", p.Logs())
	}
	res = invoke(t, rt, `{}`, time.Second)
	if !sameError(res.Error, FunctionError{ErrorType: ErrorTypeExit, ErrorMessage: "Runtime exited with error: exit status 1"}) {
		t.Errorf("Invoke after the crash: %+v", res.Error)
	}
}

func TestEchoExitDuringInvoke(t *testing.T) {
	rt, p := StartFunction(t, echoBin)
	res := invoke(t, rt, `{"exit":3}`, 5*time.Second)
	if !sameError(res.Error, FunctionError{ErrorType: ErrorTypeExit, ErrorMessage: "Runtime exited with error: exit status 3"}) {
		t.Fatalf("Error = %+v", res.Error)
	}
	if exited, _ := p.Exited(); !exited {
		t.Error("Exited() = false after a Runtime.ExitError")
	}
}

func TestEchoTimeoutKillsProcess(t *testing.T) {
	rt, p := StartFunction(t, echoBin)
	res := invoke(t, rt, `{"hang":true}`, 300*time.Millisecond)
	if res.Error == nil || res.Error.ErrorType != ErrorTypeTimeout {
		t.Fatalf("Error = %+v", res.Error)
	}
	if err := waitExit(t, p); err == nil || err.Error() != "signal: killed" {
		t.Errorf("exit: %v, want signal: killed", err)
	}
}

func TestEchoResponseTooLarge(t *testing.T) {
	rt, p := StartFunction(t, echoBin)
	res := invoke(t, rt, `{"big":6291456}`, 10*time.Second)
	if res.Error == nil || res.Error.ErrorType != ErrorTypeResponseTooLarge {
		t.Fatalf("Error = %+v", res.Error)
	}
	// aws-lambda-go exits when the Runtime API refuses its response.
	waitExit(t, p)
}

func TestEchoManyInvocations(t *testing.T) {
	rt, p := StartFunction(t, echoBin)
	for i := 1; i <= 200; i++ {
		out := invokeEcho(t, rt, `{"n":`+strings.Repeat("1", i%20+1)+`}`)
		if out.Invocation != int64(i) || out.PID != p.Pid() {
			t.Fatalf("invocation %d ran as #%d in pid %d (want %d)", i, out.Invocation, out.PID, p.Pid())
		}
	}
}

func TestEchoInitFailureExits(t *testing.T) {
	rt, p := StartFunction(t, echoBin, "ECHO_INIT_FAIL=1")
	var ferr *FunctionError
	if err := rt.WaitReady(context.Background()); !errors.As(err, &ferr) || ferr.ErrorType != ErrorTypeExit || !strings.Contains(ferr.ErrorMessage, "exit status 1") {
		t.Fatalf("WaitReady = %v", err)
	}
	// lambda.Start never posts /init/error: the process just exits.
	if e := rt.InitError(); e != nil {
		t.Errorf("InitError() = %+v", e)
	}
	if p.ReadyAfter() != 0 {
		t.Errorf("ReadyAfter() = %v for a process that never got ready", p.ReadyAfter())
	}
	res := invoke(t, rt, `{}`, time.Second)
	if res.Error == nil || res.Error.ErrorType != ErrorTypeExit {
		t.Errorf("Invoke: %+v", res.Error)
	}
	if !strings.Contains(p.Logs(), "echo: init failed on purpose") {
		t.Errorf("logs:\n%s", p.Logs())
	}
}

func TestEchoInitErrorPosted(t *testing.T) {
	rt, p := StartFunction(t, echoBin, "ECHO_INIT_FAIL=post")
	want := FunctionError{ErrorType: "EchoInitError", ErrorMessage: "init failed on purpose"}
	var ferr *FunctionError
	if err := rt.WaitReady(context.Background()); !errors.As(err, &ferr) {
		t.Fatalf("WaitReady = %v", err)
	}
	waitExit(t, p)
	if !sameError(rt.InitError(), want) {
		t.Errorf("InitError() = %+v", rt.InitError())
	}
	if res := invoke(t, rt, `{}`, time.Second); !sameError(res.Error, want) {
		t.Errorf("Invoke: %+v", res.Error)
	}
}

func TestReadyAfterCountsInit(t *testing.T) {
	rt, p := StartFunction(t, echoBin, "ECHO_INIT_SLEEP=200ms")
	if p.ReadyAfter() != 0 {
		t.Error("ReadyAfter() > 0 before init finished")
	}
	if err := rt.WaitReady(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := p.ReadyAfter(); d < 200*time.Millisecond || d > 10*time.Second {
		t.Errorf("ReadyAfter() = %v, want about 200ms", d)
	}
}

func TestStopKills(t *testing.T) {
	rt, p := StartFunction(t, echoBin)
	if err := rt.WaitReady(context.Background()); err != nil {
		t.Fatal(err)
	}
	if exited, _ := p.Exited(); exited {
		t.Fatal("Exited() = true while running")
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if exited, err := p.Exited(); !exited || err == nil {
		t.Errorf("Exited() = %v, %v after Stop", exited, err)
	}
	if err := p.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	assertGone(t, p.Pid())
}

func TestContextEndKillsProcess(t *testing.T) {
	rt := newTestRuntime(t)
	ctx, cancel := context.WithCancel(context.Background())
	p, err := StartProcess(ctx, echoBin, rt, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop() })
	if err := rt.WaitReady(context.Background()); err != nil {
		t.Fatal(err)
	}
	cancel()
	waitExit(t, p)
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestWithLogWriter(t *testing.T) {
	rt := newTestRuntime(t)
	var tee syncBuffer
	p, err := StartProcess(context.Background(), echoBin, rt, nil, WithLogWriter(&tee))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop() })
	invokeEcho(t, rt, `{"log":"teed line"}`)
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if got := tee.String(); got != p.Logs() || !strings.Contains(got, "teed line") {
		t.Errorf("tee = %q, Logs() = %q", got, p.Logs())
	}
}

func TestStartProcessErrors(t *testing.T) {
	rt := newTestRuntime(t)
	if _, err := StartProcess(context.Background(), filepath.Join(t.TempDir(), "missing"), rt, nil); err == nil {
		t.Error("missing binary started")
	}
	if _, err := StartProcess(context.Background(), echoBin, rt, []string{"NOEQUALS"}); err == nil {
		t.Error("malformed env accepted")
	}
	// Failed starts leave the Runtime free for a process.
	p, err := StartProcess(context.Background(), echoBin, rt, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop() })
	if _, err := StartProcess(context.Background(), echoBin, rt, nil); err == nil {
		t.Error("second process on one Runtime started")
	}
	invokeEcho(t, rt, `{}`)
}

func TestLambdaEnv(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "parent-key")
	t.Setenv("SOME_PARENT_VAR", "x")
	env, err := lambdaEnv("/opt/fn/bootstrap", "127.0.0.1:9", []string{
		"AWS_REGION=eu-west-1",
		"AWS_LAMBDA_RUNTIME_API=elsewhere:1", // ours wins
		"TZ=Europe/Paris",
		"EMPTY=",
	})
	if err != nil {
		t.Fatal(err)
	}
	got := make(map[string]string)
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		got[k] = v
	}
	want := map[string]string{
		"AWS_LAMBDA_RUNTIME_API":          "127.0.0.1:9",
		"AWS_REGION":                      "eu-west-1",
		"AWS_DEFAULT_REGION":              "eu-west-1",
		"TZ":                              "Europe/Paris",
		"EMPTY":                           "",
		"LAMBDA_TASK_ROOT":                "/opt/fn",
		"AWS_LAMBDA_FUNCTION_NAME":        "function",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
		"AWS_ACCESS_KEY_ID":               "parent-key",
		"AWS_EC2_METADATA_DISABLED":       "true",
		"PATH":                            os.Getenv("PATH"),
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %q (set %v), want %q", k, g, ok, v)
		}
	}
	if _, ok := got["SOME_PARENT_VAR"]; ok {
		t.Error("parent variable passed on")
	}
	if !strings.HasPrefix(got["AWS_LAMBDA_LOG_STREAM_NAME"], time.Now().UTC().Format("2006/01/02")+"/[$LATEST]") {
		t.Errorf("log stream = %q", got["AWS_LAMBDA_LOG_STREAM_NAME"])
	}
	if arn := functionARN(env); arn != "arn:aws:lambda:eu-west-1:123456789012:function:function" {
		t.Errorf("ARN = %q", arn)
	}
}

func TestBuild(t *testing.T) {
	bin := Build(t, "./internal/lambdatest/testdata/echo")
	if filepath.Base(bin) != "bootstrap" {
		t.Errorf("Build() = %q, want .../bootstrap", bin)
	}
	rt, _ := StartFunction(t, bin)
	invokeEcho(t, rt, `{}`)
}
