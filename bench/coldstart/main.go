// Command coldstart measures the built bootstraps as Lambda runs them: each
// runs under AWS's Lambda Runtime Interface Emulator (internal/rie), with a
// real moto_server as Secrets Manager and auth0test as Auth0. It prints, as
// tables:
//
//   - cold start (first invocation of a new environment), median and p90,
//     for signup vs the hello-world baseline and token vs the SDK probe, run
//     alternately in the same loop, and the init phases the functions log;
//   - peak RSS (VmHWM) over warm invocations, sampled to show it is flat;
//   - TCP connections opened to Auth0 over warm invocations (a counting
//     proxy sits in front of auth0test);
//   - the start of a Python interpreter that imports boto3 and pydantic, as
//     the floor of a Python function's cold start, against token's;
//   - the same cold starts over a realistic network (network.go): Auth0 and
//     Secrets Manager behind TLS and latency-injecting proxies.
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
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/auth0-sam-go/authapi/internal/mototest"
	"github.com/auth0-sam-go/authapi/internal/rie"
	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
	"github.com/aws/aws-lambda-go/events"
)

const (
	userEmail    = "jane.doe@example.com"
	userPassword = "Correct-Horse-42"
	invokeWait   = 10 * time.Second // the functions' timeout
	pythonCode   = "import boto3, pydantic; boto3.client('secretsmanager', region_name='us-east-1')"
)

// fn is one bootstrap and what it needs.
type fn struct {
	name   string
	bin    string
	env    []string
	event  func() []byte
	status int  // expected status of the API Gateway response
	auth0  bool // calls Auth0 on its first event
}

// options are the command line's.
type options struct {
	binDir, eventsDir     string
	n, warm, pyRuns, netN int
	auth0RTT, smRTT       time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.binDir, "bin", "dist/bench/host", "directory with {signup,token,hello,sdkprobe}/bootstrap built for this machine")
	flag.StringVar(&o.eventsDir, "events", "events", "directory with the sample events signup.json and token.json")
	flag.IntVar(&o.n, "n", 60, "loopback cold starts of each binary (0 skips them)")
	flag.IntVar(&o.warm, "warm", 1000, "warm invocations of each binary for the memory and connection figures (0 skips them)")
	flag.IntVar(&o.pyRuns, "python", 11, "runs of the Python import probe, at most -n (0 skips it)")
	flag.IntVar(&o.netN, "net-n", 30, "cold starts of each binary over the realistic network (0 skips them)")
	flag.DurationVar(&o.auth0RTT, "auth0-rtt", 20*time.Millisecond, "round-trip time to Auth0 in the realistic-network run")
	flag.DurationVar(&o.smRTT, "sm-rtt", 10*time.Millisecond, "round-trip time to Secrets Manager in the realistic-network run")
	timeout := flag.Duration("timeout", 10*time.Minute, "bound on the whole run")
	flag.Parse()
	if o.n < 0 || o.warm < 0 || o.netN < 0 || o.auth0RTT <= 0 || o.smRTT <= 0 {
		fatal(errors.New("counts must not be negative, RTTs must be positive"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	err := run(ctx, o)
	cancel()
	if err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "coldstart:", err)
	os.Exit(1)
}

// bench holds what every run shares: the emulated tenant, the secret, the
// sample events.
type bench struct {
	o                       options
	a0                      *auth0test.Server
	moto                    *mototest.Server
	arn                     string
	signupEvent, tokenEvent []byte
	seq                     int
}

func run(ctx context.Context, o options) error {
	printMachine()
	moto, stopMoto, err := mototest.Launch()
	if err != nil {
		return err
	}
	defer stopMoto()
	a0 := auth0test.NewServer(auth0test.Config{})
	defer a0.Close()
	a0.AddUser(userEmail, userPassword)
	b := &bench{o: o, a0: a0, moto: moto}
	var created struct{ ARN string }
	if err := moto.Call("CreateSecret", map[string]any{"Name": "bench/auth0-client-secret",
		"SecretString": `{"client_secret":"` + a0.Config().ClientSecret + `"}`}, &created); err != nil {
		return err
	}
	b.arn = created.ARN
	if b.signupEvent, err = os.ReadFile(filepath.Join(o.eventsDir, "signup.json")); err != nil {
		return err
	}
	if b.tokenEvent, err = os.ReadFile(filepath.Join(o.eventsDir, "token.json")); err != nil {
		return err
	}

	fns := b.functions(a0.URL, moto.Endpoint)
	for _, f := range fns {
		if _, err := os.Stat(f.bin); err != nil {
			return fmt.Errorf("%v (make bench builds it)", err)
		}
	}
	if o.n > 0 {
		if err := b.loopback(ctx, fns); err != nil {
			return err
		}
	}
	if o.warm > 0 {
		fmt.Printf("\n## Warm invocations: peak RSS and TCP connections to Auth0 (1 cold + %d warm invocations each)\n\n", o.warm)
		marks := checkpoints(o.warm)
		fmt.Printf("| function | %s | Auth0 connections accepted after %s warm |\n",
			joinMarks(marks, "VmHWM MB after %d warm"), joinInts(marks, " / "))
		fmt.Printf("|---|%s---|\n", strings.Repeat("---|", len(marks)))
		for _, f := range fns {
			row, err := b.warmRun(ctx, f, marks)
			if err != nil {
				return err
			}
			fmt.Println(row)
		}
	}
	if o.netN > 0 {
		if err := b.network(ctx); err != nil {
			return err
		}
	}
	fmt.Printf("\nload average at the end: %s\n", loadAverage())
	return nil
}

// functions returns signup, hello, token and the SDK probe, pointed at
// Auth0 at issuer and Secrets Manager at sm; extra goes to every one.
func (b *bench) functions(issuer, sm string, extra ...string) []*fn {
	c := b.a0.Config()
	env := func(secret bool) []string {
		e := append([]string{"AUTH0_TOKEN_ISSUER=" + issuer, "AUTH0_CLIENT_ID=" + c.ClientID, "AUTH0_CONNECTION=" + c.Connection}, extra...)
		if secret {
			e = append(e, "AUTH0_TOKEN_AUDIENCE="+c.Audience, "AUTH0_CLIENT_SECRET_ARN="+b.arn)
			e = append(e, b.moto.Env()...)
			e = append(e, "AWS_ENDPOINT_URL_SECRETS_MANAGER="+sm) // after moto's own: wins
		}
		return e
	}
	bin := func(name string) string { return filepath.Join(b.o.binDir, name, "bootstrap") }
	token := func() []byte { return b.tokenEvent }
	return []*fn{
		{name: "signup", bin: bin("signup"), env: env(false), event: b.newSignup, status: 201, auth0: true},
		{name: "hello", bin: bin("hello"), env: env(false), event: b.newSignup, status: 200},
		{name: "token", bin: bin("token"), env: env(true), event: token, status: 200, auth0: true},
		{name: "sdkprobe", bin: bin("sdkprobe"), env: env(true), event: token, status: 200},
	}
}

// newSignup is the sample signup event for a new address, so that every
// signup is answered 201.
func (b *bench) newSignup() []byte {
	b.seq++
	var m map[string]any
	if err := json.Unmarshal(b.signupEvent, &m); err != nil {
		fatal(fmt.Errorf("sample event: %w", err))
	}
	m["body"] = fmt.Sprintf(`{"email":"bench-%d@example.com","password":%q}`, b.seq, userPassword)
	m["isBase64Encoded"] = false
	out, _ := json.Marshal(m)
	return out
}

// loopback times n cold starts of each function on loopback, alternating
// within the pairs signup/hello and token/sdkprobe, with the Python probe
// in between.
func (b *bench) loopback(ctx context.Context, fns []*fn) error {
	python, err := pythonInterpreter(ctx)
	pyRuns := min(b.o.pyRuns, b.o.n)
	if err != nil && pyRuns > 0 {
		fmt.Fprintf(os.Stderr, "coldstart: no Python comparison: %v\n", err)
		pyRuns = 0
	}
	// One unmeasured start of each puts the binaries in the page cache and
	// warms moto and auth0test.
	for _, f := range fns {
		if _, err := coldStart(ctx, f); err != nil {
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
	for i := range b.o.n {
		if err := alternate(ctx, fns, i, samples); err != nil {
			return err
		}
		if i < pyRuns {
			d, err := timePython(ctx, python)
			if err != nil {
				return err
			}
			py = append(py, d)
		}
	}
	printColdStarts(samples, b.o.n)
	printInit(samples)
	if len(py) > 0 {
		printPython(python, py, samples["token"])
	}
	return nil
}

// alternate runs one round: each pair (fns[0], fns[1]) and (fns[2],
// fns[3]) back to back, the order swapped every other round, so that drift
// in the machine's load hits both sides of a pair alike.
func alternate(ctx context.Context, fns []*fn, round int, samples map[string][]sample) error {
	for _, pair := range [][2]*fn{{fns[0], fns[1]}, {fns[2], fns[3]}} {
		if round%2 == 1 {
			pair[0], pair[1] = pair[1], pair[0]
		}
		for _, f := range pair {
			s, err := coldStart(ctx, f)
			if err != nil {
				return fmt.Errorf("round %d: %w", round, err)
			}
			samples[f.name] = append(samples[f.name], s)
		}
	}
	return nil
}

// sample is one cold start.
type sample struct {
	total  time.Duration      // the first invocation, as its caller sees it
	ready  time.Duration      // the emulator's init: start of the bootstrap to its first /next
	invoke time.Duration      // the emulator's first event: /next to response
	init   map[string]float64 // the numbers of the function's "init" log line
	req    map[string]float64 // the numbers of its first "request" log line
}

var (
	initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)
	invokeDone = regexp.MustCompile(`INVOKE RTDONE\(.*duration: ([0-9.]+)ms\)`)
)

// coldStart starts a new environment and times its first invocation: the
// emulator starts the bootstrap then, as Lambda does.
func coldStart(ctx context.Context, f *fn) (sample, error) {
	env, err := rie.Start(f.bin, invokeWait, f.env...)
	if err != nil {
		return sample{}, err
	}
	defer env.Stop()
	t0 := time.Now()
	out, err := env.Invoke(ctx, f.event())
	total := time.Since(t0)
	if err := check(f, out, err, env); err != nil {
		return sample{}, fmt.Errorf("cold start of %s: %w", f.name, err)
	}
	logs := env.Logs()
	return sample{total: total, ready: logDuration(initReport, logs), invoke: logDuration(invokeDone, logs),
		init: logNumbers(logs, "init"), req: logNumbers(logs, "request")}, nil
}

func check(f *fn, out []byte, err error, env *rie.Function) error {
	if err != nil {
		return err
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode != f.status {
		return fmt.Errorf("answered %.300s, want status %d; output:\n%s", out, f.status, env.Logs())
	}
	return nil
}

// logDuration reads the first match of re, in ms, from the emulator's log.
func logDuration(re *regexp.Regexp, logs string) time.Duration {
	m := re.FindStringSubmatch(logs)
	if m == nil {
		return -1
	}
	ms, _ := strconv.ParseFloat(m[1], 64)
	return time.Duration(ms * float64(time.Millisecond))
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

// warmRun starts f once and invokes it 1+warm times, with Auth0 behind a
// counting proxy, and returns a table row.
func (b *bench) warmRun(ctx context.Context, f *fn, marks []int) (string, error) {
	proxy, err := newProxy(strings.TrimPrefix(b.a0.URL, "http://"), 0, nil)
	if err != nil {
		return "", err
	}
	defer proxy.Close()
	g := *f
	g.env = append(g.env[:len(g.env):len(g.env)], "AUTH0_TOKEN_ISSUER=http://"+proxy.Addr()) // later wins
	env, err := rie.Start(g.bin, invokeWait, g.env...)
	if err != nil {
		return "", err
	}
	defer env.Stop()
	var hwm, conns []string
	next := 0
	for i := 0; i <= b.o.warm; i++ { // 0 is the cold invocation
		out, err := env.Invoke(ctx, g.event())
		if err := check(&g, out, err, env); err != nil {
			return "", fmt.Errorf("invocation %d of %s: %w", i, g.name, err)
		}
		if next < len(marks) && i == marks[next] {
			next++
			if kb, err := procStatusKB(env.BootstrapPID(), "VmHWM"); err != nil {
				hwm = append(hwm, "n/a")
			} else {
				hwm = append(hwm, fmt.Sprintf("%.1f", float64(kb)/1024))
			}
			if g.auth0 {
				conns = append(conns, strconv.Itoa(int(proxy.Accepted())))
			} else {
				conns = append(conns, "–")
			}
		}
	}
	return fmt.Sprintf("| %s | %s | %s |", g.name, strings.Join(hwm, " | "), strings.Join(conns, " / ")), nil
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
