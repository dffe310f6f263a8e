// Command coldstart measures the built bootstraps as Lambda runs them: each
// is a process against an in-process Runtime API (internal/lambdatest), with
// a real moto_server as Secrets Manager and auth0test as Auth0, all on
// 127.0.0.1. It prints, as tables:
//
//   - cold start (process start to first response), median and p90, for
//     signup vs the hello-world baseline and token vs the SDK probe, run
//     alternately in the same loop, and the init phases the functions log;
//   - peak RSS (VmHWM) over warm invocations, sampled to show it is flat;
//   - TCP connections opened to Auth0 over warm invocations (a counting
//     proxy sits in front of auth0test);
//   - the start of a Python interpreter that imports boto3 and pydantic, as
//     the floor of a Python function's cold start, against token's.
//
// make bench builds the binaries (for this machine, with the Makefile's
// flags) and runs it; see BENCHMARKS.md. Everything it starts is stopped
// when it ends, and the whole run is bounded by -timeout.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/auth0-sam-go/authapi/internal/lambdatest"
	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
	"github.com/aws/aws-lambda-go/events"
)

const (
	userEmail    = "jane.doe@example.com"
	userPassword = "Correct-Horse-42"
	invokeWait   = 10 * time.Second // Lambda deadline given to each event
	pythonCode   = "import boto3, pydantic; boto3.client('secretsmanager', region_name='us-east-1')"
)

// fn is one bootstrap and what it needs.
type fn struct {
	name   string
	bin    string
	env    []string
	event  func(i int) []byte
	status int // expected status of the API Gateway response
	auth0  bool
}

func main() {
	binDir := flag.String("bin", "dist/bench/host", "directory with {signup,token,hello,sdkprobe}/bootstrap built for this machine")
	eventsDir := flag.String("events", "events", "directory with the sample events signup.json and token.json")
	n := flag.Int("n", 60, "cold starts of each binary (at least 20)")
	warm := flag.Int("warm", 1000, "warm invocations of each binary for the memory and connection figures")
	pyRuns := flag.Int("python", 11, "runs of the Python import probe (0 skips it)")
	timeout := flag.Duration("timeout", 6*time.Minute, "bound on the whole run")
	flag.Parse()
	if *n < 1 || *warm < 1 {
		fatal(errors.New("-n and -warm must be positive"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	err := run(ctx, *binDir, *eventsDir, *n, *warm, *pyRuns)
	cancel()
	if err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "coldstart:", err)
	os.Exit(1)
}

func run(ctx context.Context, binDir, eventsDir string, n, warm, pyRuns int) error {
	printMachine()

	moto, err := startMoto(ctx)
	if err != nil {
		return err
	}
	defer moto.stop()
	a0 := auth0test.NewServer(auth0test.Config{})
	defer a0.Close()
	a0.AddUser(userEmail, userPassword)
	c := a0.Config()
	arn, err := moto.createSecret(ctx, "bench/auth0-client-secret", `{"client_secret":"`+c.ClientSecret+`"}`)
	if err != nil {
		return err
	}

	signupEvent, err := os.ReadFile(filepath.Join(eventsDir, "signup.json"))
	if err != nil {
		return err
	}
	tokenEvent, err := os.ReadFile(filepath.Join(eventsDir, "token.json"))
	if err != nil {
		return err
	}
	// Every signup needs a new address to be answered 201.
	seq := 0
	signupFor := func(tag string) func(int) []byte {
		return func(int) []byte {
			seq++
			return withBody(signupEvent, fmt.Sprintf(`{"email":"bench-%s-%d@example.com","password":%q}`, tag, seq, userPassword))
		}
	}
	fixed := func(b []byte) func(int) []byte { return func(int) []byte { return b } }

	envFor := func(issuer string, token bool) []string {
		env := []string{
			"AUTH0_TOKEN_ISSUER=" + issuer,
			"AUTH0_CLIENT_ID=" + c.ClientID,
			"AUTH0_CONNECTION=" + c.Connection,
		}
		if token {
			env = append(env, "AUTH0_TOKEN_AUDIENCE="+c.Audience, "AUTH0_CLIENT_SECRET_ARN="+arn)
			env = append(env, moto.env()...)
		}
		return env
	}
	bin := func(name string) string { return filepath.Join(binDir, name, "bootstrap") }
	signup := &fn{name: "signup", bin: bin("signup"), env: envFor(a0.URL, false), event: signupFor("cold"), status: 201, auth0: true}
	hello := &fn{name: "hello", bin: bin("hello"), env: envFor(a0.URL, false), event: signupFor("hello"), status: 200}
	token := &fn{name: "token", bin: bin("token"), env: envFor(a0.URL, true), event: fixed(tokenEvent), status: 200, auth0: true}
	probe := &fn{name: "sdkprobe", bin: bin("sdkprobe"), env: envFor(a0.URL, true), event: fixed(tokenEvent), status: 200}
	for _, f := range []*fn{signup, hello, token, probe} {
		if _, err := os.Stat(f.bin); err != nil {
			return fmt.Errorf("%v (make bench builds it)", err)
		}
	}

	python, err := pythonInterpreter(ctx)
	if err != nil && pyRuns > 0 {
		fmt.Fprintf(os.Stderr, "coldstart: no Python comparison: %v\n", err)
		pyRuns = 0
	}

	// One unmeasured start of each puts the binaries in the page cache and
	// warms moto and auth0test, as a deployed function's first start is not
	// what the table is about either.
	for _, f := range []*fn{signup, hello, token, probe} {
		if _, err := coldStart(ctx, f, 0); err != nil {
			return err
		}
	}
	if pyRuns > 0 {
		if _, err := timePython(ctx, python); err != nil {
			return err
		}
	}

	samples := map[string][]sample{}
	var py []time.Duration
	for i := range n {
		// Alternate, and swap the order each round, so that drift in the
		// machine's load hits both sides of a pair alike.
		pairs := [][2]*fn{{signup, hello}, {token, probe}}
		for _, p := range pairs {
			order := p
			if i%2 == 1 {
				order = [2]*fn{p[1], p[0]}
			}
			for _, f := range order {
				s, err := coldStart(ctx, f, i+1)
				if err != nil {
					return err
				}
				samples[f.name] = append(samples[f.name], s)
			}
		}
		if i < pyRuns {
			d, err := timePython(ctx, python)
			if err != nil {
				return err
			}
			py = append(py, d)
		}
	}
	printColdStarts(samples, n)
	printInit(samples)

	// Memory and connections: one environment per function, many events.
	fmt.Printf("\n## Warm invocations: peak RSS and TCP connections to Auth0 (1 cold + %d warm invocations each)\n\n", warm)
	marks := checkpoints(warm)
	fmt.Printf("| function | %s | Auth0 connections accepted after %s warm |\n",
		joinMarks(marks, "VmHWM MB after %d warm"), joinInts(marks, " / "))
	fmt.Printf("|---|%s---|\n", strings.Repeat("---|", len(marks)))
	signup.event = signupFor("warm")
	for _, f := range []*fn{signup, token, hello, probe} {
		row, err := warmRun(ctx, f, a0.URL, envFor, warm, marks)
		if err != nil {
			return err
		}
		fmt.Println(row)
	}

	if len(py) > 0 {
		printPython(python, py, samples["token"])
	}
	fmt.Printf("\nload average at the end: %s\n", loadAverage())
	return nil
}

// withBody returns the event JSON with its body replaced.
func withBody(event []byte, body string) []byte {
	var m map[string]any
	if err := json.Unmarshal(event, &m); err != nil {
		fatal(fmt.Errorf("sample event: %w", err))
	}
	m["body"] = body
	m["isBase64Encoded"] = false
	b, _ := json.Marshal(m)
	return b
}

// sample is one cold start.
type sample struct {
	total  time.Duration      // process start to the first response
	ready  time.Duration      // process start to the first /next: init
	invoke time.Duration      // the first event, /next to response
	init   map[string]float64 // the numbers of the "init" log line
	req    map[string]float64 // the numbers of the first "request" log line
}

func coldStart(ctx context.Context, f *fn, i int) (sample, error) {
	rt := lambdatest.NewRuntime()
	defer rt.Close()
	t0 := time.Now()
	p, err := lambdatest.StartProcess(ctx, f.bin, rt, f.env)
	if err != nil {
		return sample{}, err
	}
	defer p.Stop() //nolint:errcheck // only fails if the kill does
	res, err := rt.Invoke(ctx, f.event(i), invokeWait)
	total := time.Since(t0)
	if err := checkResult(f, res, err, p); err != nil {
		return sample{}, fmt.Errorf("cold start %d of %s: %w", i, f.name, err)
	}
	logs := p.Logs()
	return sample{total: total, ready: p.ReadyAfter(), invoke: res.Duration,
		init: logNumbers(logs, "init"), req: logNumbers(logs, "request")}, nil
}

func checkResult(f *fn, res lambdatest.Result, err error, p *lambdatest.Process) error {
	if err != nil {
		return err
	}
	if res.Error != nil {
		return fmt.Errorf("%v; logs:\n%s", res.Error, p.Logs())
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(res.Payload, &resp); err != nil || resp.StatusCode != f.status {
		return fmt.Errorf("answered %s, want status %d; logs:\n%s", res.Payload, f.status, p.Logs())
	}
	return nil
}

// logNumbers reads the numeric fields of the first log line with this msg.
func logNumbers(logs, msg string) map[string]float64 {
	for line := range strings.SplitSeq(logs, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil || m["msg"] != msg {
			continue
		}
		out := map[string]float64{}
		for k, v := range m {
			if x, ok := v.(float64); ok && strings.HasSuffix(k, "_ms") {
				out[k] = x
			}
		}
		return out
	}
	return nil
}

// warmRun starts f once and invokes it warm times, with Auth0 behind a
// counting proxy, and returns a table row.
func warmRun(ctx context.Context, f *fn, auth0URL string, envFor func(string, bool) []string, warm int, marks []int) (string, error) {
	proxy, err := newCountingProxy(strings.TrimPrefix(auth0URL, "http://"))
	if err != nil {
		return "", err
	}
	defer proxy.Close()
	env := envFor("http://"+proxy.Addr(), f.name == "token" || f.name == "sdkprobe")
	rt := lambdatest.NewRuntime()
	defer rt.Close()
	p, err := lambdatest.StartProcess(ctx, f.bin, rt, env)
	if err != nil {
		return "", err
	}
	defer p.Stop() //nolint:errcheck // only fails if the kill does
	var hwm []string
	var conns []string
	next := 0
	for i := 0; i <= warm; i++ { // 0 is the cold invocation
		res, err := rt.Invoke(ctx, f.event(i), invokeWait)
		if err := checkResult(f, res, err, p); err != nil {
			return "", fmt.Errorf("invocation %d of %s: %w", i, f.name, err)
		}
		if next < len(marks) && i == marks[next] {
			next++
			kb, err := procStatusKB(p.Pid(), "VmHWM")
			if err != nil {
				hwm = append(hwm, "n/a")
			} else {
				hwm = append(hwm, fmt.Sprintf("%.1f", float64(kb)/1024))
			}
			if f.auth0 {
				conns = append(conns, strconv.Itoa(int(proxy.Accepted())))
			} else {
				conns = append(conns, "–")
			}
		}
	}
	return fmt.Sprintf("| %s | %s | %s |", f.name, strings.Join(hwm, " | "), strings.Join(conns, " / ")), nil
}

// checkpoints are the warm invocation counts after which memory and
// connections are read: 0 (just the cold one), 100, 500 and the last.
func checkpoints(warm int) []int {
	var out []int
	for _, m := range []int{0, 100, 500, warm} {
		if m <= warm && (len(out) == 0 || m > out[len(out)-1]) {
			out = append(out, m)
		}
	}
	return out
}

func joinMarks(marks []int, format string) string {
	parts := make([]string, len(marks))
	for i, m := range marks {
		parts[i] = fmt.Sprintf(format, m)
	}
	return strings.Join(parts, " | ")
}

func joinInts(marks []int, sep string) string {
	parts := make([]string, len(marks))
	for i, m := range marks {
		parts[i] = strconv.Itoa(m)
	}
	return strings.Join(parts, sep)
}

// procStatusKB reads a "kB" field of /proc/PID/status (Linux only).
func procStatusKB(pid int, field string) (int, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// pythonInterpreter resolves python3 to the interpreter itself, so that a
// version manager's shim script (pyenv) is not timed as part of Python.
func pythonInterpreter(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "python3", "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		return "", fmt.Errorf("python3: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

func timePython(ctx context.Context, python string) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, python, "-c", pythonCode)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	t0 := time.Now()
	err := cmd.Run()
	d := time.Since(t0)
	if err != nil {
		return 0, fmt.Errorf("%s -c %q: %w", python, pythonCode, err)
	}
	return d, nil
}

func printMachine() {
	model := "unknown"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	fmt.Printf("# coldstart: %s, %s/%s, %d CPUs (%s), %s, load average %s\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), model, runtime.Version(), loadAverage())
}

// loadAverage is the 1-minute load of the machine, which says how far to
// trust the timings of a run.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "unknown"
}
