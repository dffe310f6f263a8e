package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/pkg/auth0"
	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
	"github.com/aws/aws-lambda-go/events"
)

// The tests in this file break Auth0 in every way issue 4 lists and check,
// for both handlers, the contract's answer, that it comes before the
// context deadline, how many requests reached Auth0 (signup exactly one;
// token at most two per client secret, the retry only after failures that
// say nothing about the credentials) and that no goroutine is left behind.

// faultAPI is both handlers over the production HTTP client, with a dial
// hook so tests can count connections or fail them.
type faultAPI struct {
	*testAPI
	hc    *http.Client
	dials atomic.Int32
}

// newFaultAPI wires both handlers to baseURL through auth0.NewHTTPClient,
// whose DialContext is replaced by dial (nil: a plain loopback dial).
func newFaultAPI(t *testing.T, srv *auth0test.Server, baseURL string,
	dial func(ctx context.Context, network, addr string) (net.Conn, error),
) *faultAPI {
	t.Helper()
	hc := auth0.NewHTTPClient()
	tr, ok := hc.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("auth0.NewHTTPClient().Transport is a %T; this test needs an *http.Transport to hook dials", hc.Transport)
	}
	tr = tr.Clone()
	tr.Proxy = nil // loopback only, whatever the environment says
	if dial == nil {
		dial = (&net.Dialer{Timeout: auth0.DialTimeout}).DialContext
	}
	f := &faultAPI{hc: hc}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		f.dials.Add(1)
		return dial(ctx, network, addr)
	}
	hc.Transport = tr
	t.Cleanup(hc.CloseIdleConnections)

	c := srv.Config()
	cfg := auth0.Config{BaseURL: baseURL, ClientID: c.ClientID, Audience: c.Audience, Connection: c.Connection, Scope: auth0.DefaultScope}
	logs := &syncBuffer{}
	recordLogs(t, logs)
	logger := NewLogger(logs)
	client := auth0.NewClient(cfg, hc)
	sec := &fakeSecret{value: c.ClientSecret}
	f.testAPI = &testAPI{t: t, srv: srv, cfg: cfg, secret: sec, logs: logs,
		signup: NewSignupHandler(client, logger),
		token:  NewTokenHandler(client, sec, logger)}
	return f
}

// callWithin invokes h under a context deadline d away, as Lambda sets it,
// and fails unless the answer is contract-conforming JSON given before the
// deadline.
func (a *testAPI) callWithin(h Handler, ev events.APIGatewayV2HTTPRequest, d time.Duration) (events.APIGatewayV2HTTPResponse, map[string]any) {
	a.t.Helper()
	noteEvent(ev)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	resp, err := h(ctx, ev)
	if ctx.Err() != nil {
		a.t.Fatalf("answered after the %s deadline: %d %s", d, resp.StatusCode, resp.Body)
	}
	if err != nil {
		a.t.Fatalf("handler returned an error (API Gateway would answer a bare 500): %v", err)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || resp.Headers["Content-Type"] != "application/json" {
		a.t.Fatalf("answer is not JSON: %v %q", resp.Headers, resp.Body)
	}
	noteAnswer(body)
	a.checkContract(resp)
	return resp, body
}

// upstreamFault is one way Auth0 (or the way to it) fails.
type upstreamFault struct {
	name string
	// fault is injected on both Auth0 paths; nil for transport faults.
	fault *auth0test.Fault
	// base replaces the server URL and dial the transport's dialer, for
	// faults below HTTP.
	base func(t *testing.T) string
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// deadline is the Lambda deadline; 0 means 10 s.
	deadline time.Duration
	// expected answers; code "" means success (201 signup, 200 token).
	signupStatus int
	signupCode   string
	tokenStatus  int
	tokenCode    string
	// Auth0 requests (or dials, for transport faults) per call.
	signupReqs, tokenReqs int
	// retryAfter checks the Retry-After header; nil means it must be absent.
	retryAfter func(string) bool
}

const bigBody = 4 << 20 // "a body of several MB"

func upstreamFaults() []upstreamFault {
	jsonErr := func(code, desc string) string {
		return `{"error":"` + code + `","error_description":"` + desc + `"}`
	}
	html := http.Header{"Content-Type": {"text/html; charset=utf-8"}}
	fault := func(f auth0test.Fault) *auth0test.Fault { return &f }
	secs := func(lo, hi int) func(string) bool {
		return func(v string) bool { n, err := strconv.Atoi(v); return err == nil && lo <= n && n <= hi }
	}
	// closedPort is a loopback address where nothing listens.
	closedPort := func(t *testing.T) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr
	}
	// silentPort accepts connections (the kernel completes them into the
	// backlog) and never reads or answers.
	silentPort := func(t *testing.T) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		return "http://" + l.Addr().String()
	}
	const e502, e504, e429 = "upstream_error", "upstream_timeout", "rate_limited"
	return []upstreamFault{
		// Auth0 5xx: signup once, token once more after a jittered pause.
		{name: "500 json", fault: fault(auth0test.Fault{Status: 500, Body: jsonErr("server_error", "Internal error")}),
			signupStatus: 502, signupCode: e502, tokenStatus: 502, tokenCode: e502, signupReqs: 1, tokenReqs: 2},
		{name: "502 html", fault: fault(auth0test.Fault{Status: 502, Body: "<html><body><h1>502 Bad Gateway</h1></body></html>", Header: html}),
			signupStatus: 502, signupCode: e502, tokenStatus: 502, tokenCode: e502, signupReqs: 1, tokenReqs: 2},
		{name: "503 empty", fault: fault(auth0test.Fault{Status: 503}),
			signupStatus: 502, signupCode: e502, tokenStatus: 502, tokenCode: e502, signupReqs: 1, tokenReqs: 2},
		{name: "504 text", fault: fault(auth0test.Fault{Status: 504, Body: "upstream request timeout", Header: http.Header{"Content-Type": {"text/plain"}}}),
			signupStatus: 502, signupCode: e502, tokenStatus: 502, tokenCode: e502, signupReqs: 1, tokenReqs: 2},
		{name: "503 once then healthy", fault: fault(auth0test.Fault{Status: 503, Times: 1}),
			signupStatus: 502, signupCode: e502, tokenStatus: 200, signupReqs: 1, tokenReqs: 2},
		{name: "500 several MB", fault: fault(auth0test.Fault{Status: 500, Body: strings.Repeat("<p>error</p>", bigBody/12), Header: html}),
			signupStatus: 502, signupCode: e502, tokenStatus: 502, tokenCode: e502, signupReqs: 1, tokenReqs: 2},

		// Rate limits are never retried and always say when to come back.
		{name: "429 with rate-limit headers", fault: fault(auth0test.Fault{Status: 429, Body: jsonErr("too_many_requests", "Too many requests."),
			Header: http.Header{"X-Ratelimit-Limit": {"30"}, "X-Ratelimit-Remaining": {"0"},
				"X-Ratelimit-Reset": {strconv.FormatInt(time.Now().Unix()+30, 10)}}}),
			signupStatus: 429, signupCode: e429, tokenStatus: 429, tokenCode: e429, signupReqs: 1, tokenReqs: 1, retryAfter: secs(20, 31)},
		{name: "429 without headers", fault: fault(auth0test.Fault{Status: 429, Body: jsonErr("too_many_requests", "Too many requests.")}),
			signupStatus: 429, signupCode: e429, tokenStatus: 429, tokenCode: e429, signupReqs: 1, tokenReqs: 1, retryAfter: secs(1, 1)},
		{name: "429 with Retry-After only", fault: fault(auth0test.Fault{Status: 429, Body: jsonErr("too_many_requests", "Too many requests."),
			Header: http.Header{"Retry-After": {"12"}}}),
			signupStatus: 429, signupCode: e429, tokenStatus: 429, tokenCode: e429, signupReqs: 1, tokenReqs: 1, retryAfter: secs(12, 12)},
		{name: "429 html body", fault: fault(auth0test.Fault{Status: 429, Body: "<html><body>Too Many Requests</body></html>", Header: html}),
			signupStatus: 429, signupCode: e429, tokenStatus: 429, tokenCode: e429, signupReqs: 1, tokenReqs: 1, retryAfter: secs(1, 1)},
		{name: "429 empty body, absurd reset", fault: fault(auth0test.Fault{Status: 429, Header: http.Header{"X-Ratelimit-Reset": {"99999999999999999"}}}),
			signupStatus: 429, signupCode: e429, tokenStatus: 429, tokenCode: e429, signupReqs: 1, tokenReqs: 1, retryAfter: secs(3600, 3600)},
		{name: "429 too_many_attempts", fault: fault(auth0test.Fault{Status: 429, Body: jsonErr("too_many_attempts", "Your account has been blocked after multiple consecutive login attempts.")}),
			signupStatus: 429, signupCode: "too_many_attempts", tokenStatus: 429, tokenCode: "too_many_attempts", signupReqs: 1, tokenReqs: 1},

		// Unreadable answers.
		{name: "200 html", fault: fault(auth0test.Fault{Status: 200, Body: "<!doctype html><title>Auth0</title>", Header: html}),
			signupStatus: 502, signupCode: e502, tokenStatus: 502, tokenCode: e502, signupReqs: 1, tokenReqs: 2},
		{name: "200 empty body", fault: fault(auth0test.Fault{Status: 200}),
			signupStatus: 502, signupCode: e502, tokenStatus: 502, tokenCode: e502, signupReqs: 1, tokenReqs: 2},
		{name: "200 truncated json", fault: fault(auth0test.Fault{Status: 200, Body: `{"_id":"668fbaab72","access_token":"eyJhbGciOiJSUzI1NiIs`}),
			signupStatus: 502, signupCode: e502, tokenStatus: 502, tokenCode: e502, signupReqs: 1, tokenReqs: 2},
		{name: "200 json of the wrong shape", fault: fault(auth0test.Fault{Status: 200, Body: `[{"access_token":"x","_id":"y"}]`}),
			signupStatus: 502, signupCode: e502, tokenStatus: 502, tokenCode: e502, signupReqs: 1, tokenReqs: 2},
		{name: "200 several MB", fault: fault(auth0test.Fault{Status: 200, Body: `{"_id":"a","access_token":"` + strings.Repeat("x", bigBody) + `"}`}),
			signupStatus: 502, signupCode: e502, tokenStatus: 502, tokenCode: e502, signupReqs: 1, tokenReqs: 2},
		{name: "403 html from a proxy", fault: fault(auth0test.Fault{Status: 403, Body: "<html>Forbidden</html>", Header: html}),
			signupStatus: 502, signupCode: e502, tokenStatus: 502, tokenCode: e502, signupReqs: 1, tokenReqs: 2},

		// Connections that fail.
		{name: "dropped connection", fault: fault(auth0test.Fault{Drop: true}),
			signupStatus: 502, signupCode: e502, tokenStatus: 502, tokenCode: e502, signupReqs: 1, tokenReqs: 2},
		{name: "refused connection", base: closedPort,
			signupStatus: 502, signupCode: e502, tokenStatus: 502, tokenCode: e502, signupReqs: 1, tokenReqs: 2},
		{name: "dns failure", base: func(*testing.T) string { return "https://tenant.auth0.invalid" },
			dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
				host, _, _ := net.SplitHostPort(addr)
				return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
			},
			signupStatus: 502, signupCode: e502, tokenStatus: 502, tokenCode: e502, signupReqs: 1, tokenReqs: 2},

		// Auth0 too slow: 504 before the deadline, and no retry of a
		// request that may still be running.
		{name: "hangs after reading the request", fault: fault(auth0test.Fault{Hang: true}), deadline: 2 * time.Second,
			signupStatus: 504, signupCode: e504, tokenStatus: 504, tokenCode: e504, signupReqs: 1, tokenReqs: 1},
		{name: "accepts TCP, never reads", base: silentPort, deadline: 2 * time.Second,
			signupStatus: 504, signupCode: e504, tokenStatus: 504, tokenCode: e504, signupReqs: 1, tokenReqs: 1},
		// A 2 s deadline leaves a 1.8 s budget (a 200 ms margin).
		{name: "answers just inside the budget", fault: fault(auth0test.Fault{Delay: 1300 * time.Millisecond}), deadline: 2 * time.Second,
			signupStatus: 201, tokenStatus: 200, signupReqs: 1, tokenReqs: 1},
		{name: "answers just after the budget", fault: fault(auth0test.Fault{Delay: 1850 * time.Millisecond}), deadline: 2 * time.Second,
			signupStatus: 504, signupCode: e504, tokenStatus: 504, tokenCode: e504, signupReqs: 1, tokenReqs: 1},
	}
}

// TestUpstreamFaults runs every fault against both handlers, then checks
// that nothing they started is still running. Faults that wait for the
// deadline run concurrently (they only sleep), the others one by one.
func TestUpstreamFaults(t *testing.T) {
	before := runtime.NumGoroutine()
	var slow []upstreamFault
	t.Run("faults", func(t *testing.T) {
		for _, c := range upstreamFaults() {
			if c.deadline != 0 {
				slow = append(slow, c)
				continue
			}
			for _, route := range []string{"signup", "token"} {
				t.Run(route+"/"+c.name, func(t *testing.T) {
					call := setupUpstreamFault(t, c, route)
					call.check(t, call.invoke())
				})
			}
		}
	})
	t.Run("slow faults", func(t *testing.T) {
		var calls []*faultCall
		for _, c := range slow {
			for _, route := range []string{"signup", "token"} {
				calls = append(calls, setupUpstreamFault(t, c, route))
			}
		}
		results := make([]invocation, len(calls))
		var wg sync.WaitGroup
		for i, call := range calls {
			wg.Go(func() { results[i] = call.invoke() })
		}
		wg.Wait()
		for i, call := range calls {
			t.Run(call.name, func(t *testing.T) { call.check(t, results[i]) })
		}
	})
	if t.Failed() {
		return
	}
	settleGoroutines(t, before)
}

// invocation is what one handler call gave, and whether it came late.
type invocation struct {
	resp events.APIGatewayV2HTTPResponse
	err  error
	late bool
}

// invoke calls h under a context deadline d away, as Lambda sets it. It
// touches no *testing.T, so calls can run concurrently.
func invoke(h Handler, ev events.APIGatewayV2HTTPRequest, d time.Duration) invocation {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	resp, err := h(ctx, ev)
	return invocation{resp: resp, err: err, late: ctx.Err() != nil}
}

// answer fails t unless inv is contract-conforming JSON given in time.
func (a *testAPI) answer(t *testing.T, inv invocation) map[string]any {
	t.Helper()
	if inv.late {
		t.Fatalf("answered after the deadline: %d %s", inv.resp.StatusCode, inv.resp.Body)
	}
	if inv.err != nil {
		t.Fatalf("handler returned an error (API Gateway would answer a bare 500): %v", inv.err)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(inv.resp.Body), &body); err != nil || inv.resp.Headers["Content-Type"] != "application/json" {
		t.Fatalf("answer is not JSON: %v %q", inv.resp.Headers, inv.resp.Body)
	}
	noteAnswer(body)
	a.t = t
	a.checkContract(inv.resp)
	return body
}

// faultCall is one handler call against one broken Auth0, ready to run.
type faultCall struct {
	name     string
	api      *faultAPI
	h        Handler
	ev       events.APIGatewayV2HTTPRequest
	deadline time.Duration
	invoke   func() invocation
	check    func(*testing.T, invocation)
}

func setupUpstreamFault(t *testing.T, c upstreamFault, route string) *faultCall {
	t.Helper()
	srv := auth0test.NewServer(auth0test.Config{})
	t.Cleanup(srv.Close)
	base := srv.URL
	if c.base != nil {
		base = c.base(t)
	}
	a := newFaultAPI(t, srv, base, c.dial)
	a.srv.AddUser(email, goodPassword)
	if c.fault != nil {
		a.srv.Fault("/dbconnections/signup", *c.fault)
		a.srv.Fault("/oauth/token", *c.fault)
	}
	deadline := c.deadline
	if deadline == 0 {
		deadline = 10 * time.Second
	}
	h, path, status, code, reqs := a.signup, "/dbconnections/signup", c.signupStatus, c.signupCode, c.signupReqs
	ev := creds("new.user@example.com", goodPassword)
	if route == "token" {
		h, path, status, code, reqs = a.token, "/oauth/token", c.tokenStatus, c.tokenCode, c.tokenReqs
		ev = creds(email, goodPassword)
	}
	noteEvent(ev)
	call := &faultCall{name: route + "/" + c.name}
	call.invoke = func() invocation { return invoke(h, ev, deadline) }
	call.check = func(t *testing.T, inv invocation) {
		t.Helper()
		body := a.answer(t, inv)
		resp := inv.resp
		if code == "" {
			if resp.StatusCode != status {
				t.Fatalf("got %d %v, want %d", resp.StatusCode, body, status)
			}
		} else {
			wantError(t, resp, body, status, code)
		}
		ra, hasRA := resp.Headers["Retry-After"]
		switch {
		case c.retryAfter == nil && hasRA:
			t.Errorf("unexpected Retry-After %q", ra)
		case c.retryAfter != nil && !c.retryAfter(ra):
			t.Errorf("Retry-After = %q", ra)
		}

		// How many requests reached Auth0, or connections were tried
		// when there is no Auth0 to count them.
		var sent []auth0test.Request
		for _, r := range a.srv.Requests() {
			if r.Path == path {
				sent = append(sent, r)
			}
		}
		got := len(sent)
		if c.base != nil {
			got = int(a.dials.Load())
			if len(sent) != 0 {
				t.Fatalf("%d requests reached the test server behind a broken address", len(sent))
			}
		}
		if got != reqs {
			t.Fatalf("%d Auth0 requests for one call, want %d", got, reqs)
		}
		if route == "token" {
			perSecret := map[string]int{}
			for _, r := range sent {
				perSecret[r.Form.Get("client_secret")]++
				if v := r.Header.Values("Auth0-Forwarded-For"); len(v) != 1 || v[0] != "203.0.113.10" {
					t.Errorf("token request without the caller's IP: auth0-forwarded-for %q", v)
				}
			}
			for _, n := range perSecret {
				if n > 2 {
					t.Errorf("%d requests with one client secret, want at most 2", n)
				}
			}
		}
	}
	return call
}

// settleGoroutines waits until the goroutine count is back to before:
// connections closed, servers stopped, timers and retries finished.
func settleGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		now := runtime.NumGoroutine()
		if now <= before {
			t.Logf("goroutines: %d before, %d after", before, now)
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("goroutines left behind: %d before, %d after\n%s", before, now, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDeadlineDiscipline: with Auth0 hanging, each handler answers 504
// upstream_timeout before a 1 s (five times), 3 s (twice) and 10 s deadline.
// The six scenarios run at once; the calls within one run one after another,
// as Lambda sends them to one instance.
func TestDeadlineDiscipline(t *testing.T) {
	t.Parallel()
	type scenario struct {
		name     string
		a        *testAPI
		h        Handler
		deadline time.Duration
		results  []invocation
	}
	var all []*scenario
	for _, d := range []struct {
		deadline time.Duration
		repeat   int
	}{{time.Second, 5}, {3 * time.Second, 2}, {10 * time.Second, 1}} {
		for _, route := range []string{"signup", "token"} {
			a := newTestAPI(t, auth0test.Config{})
			a.srv.AddUser(email, goodPassword)
			a.srv.Fault("/oauth/token", auth0test.Fault{Hang: true})
			a.srv.Fault("/dbconnections/signup", auth0test.Fault{Hang: true})
			all = append(all, &scenario{name: fmt.Sprintf("%s/%s_x%d", route, d.deadline, d.repeat), a: a,
				h: map[string]Handler{"signup": a.signup, "token": a.token}[route], deadline: d.deadline,
				results: make([]invocation, d.repeat)})
		}
	}
	ev := creds(email, goodPassword)
	noteEvent(ev)
	var wg sync.WaitGroup
	for _, s := range all {
		wg.Go(func() {
			for i := range s.results {
				s.results[i] = invoke(s.h, ev, s.deadline)
			}
		})
	}
	wg.Wait()
	for _, s := range all {
		t.Run(s.name, func(t *testing.T) {
			for _, inv := range s.results {
				body := s.a.answer(t, inv)
				wantError(t, inv.resp, body, 504, "upstream_timeout")
			}
			// A timed-out call is never retried: one request per call.
			if n := len(s.a.srv.Requests()); n != len(s.results) {
				t.Fatalf("%d calls sent %d requests to Auth0", len(s.results), n)
			}
		})
	}
}

// TestSlowAuth0IsLoggedAsTimeout: the 504's log line is an ERROR that says
// what happened, for the operator.
func TestSlowAuth0IsLoggedAsTimeout(t *testing.T) {
	a := newTestAPI(t, auth0test.Config{})
	a.srv.Fault("/dbconnections/signup", auth0test.Fault{Hang: true})
	resp, body := a.callWithin(a.signup, creds(email, goodPassword), time.Second)
	wantError(t, resp, body, 504, "upstream_timeout")
	var line map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(a.logs.String())), &line); err != nil {
		t.Fatalf("log: %v\n%s", err, a.logs)
	}
	if line["level"] != slog.LevelError.String() || line["code"] != "upstream_timeout" || !strings.Contains(fmt.Sprint(line["error"]), "timeout") {
		t.Fatalf("log line %v", line)
	}
}
