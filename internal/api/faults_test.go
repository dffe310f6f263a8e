package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/pkg/auth0"
	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
	"github.com/aws/aws-lambda-go/events"
	"go.uber.org/goleak"
)

// The tests in this file break Auth0 in every way issue 4 lists and check,
// for both handlers, the contract's answer, that Auth0 is given a deadline
// ahead of Lambda's, how many requests the client sent (signup exactly one;
// token at most two per client secret, the retry only after failures that
// say nothing about the credentials) and that no goroutine is left behind.
// No test asserts how long anything took: a loaded machine may be slow
// anywhere, but the deadlines handed down and the requests sent do not
// depend on its speed.

// faultAPI is both handlers over the production HTTP client, whose
// transport is wrapped to see every request the Auth0 client sends.
type faultAPI struct {
	*testAPI
	hc   *http.Client
	sent *sentRequests
}

// sentRequests is an http.RoundTripper that records the context deadline
// of every request before passing it on.
type sentRequests struct {
	next      http.RoundTripper
	mu        sync.Mutex
	deadlines []time.Time // zero: no deadline
}

func (s *sentRequests) RoundTrip(req *http.Request) (*http.Response, error) {
	d, _ := req.Context().Deadline()
	s.mu.Lock()
	s.deadlines = append(s.deadlines, d)
	s.mu.Unlock()
	return s.next.RoundTrip(req)
}

func (s *sentRequests) all() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.deadlines)
}

// checkBudgets fails unless every request carried a deadline at least
// minMargin before lambdaDeadline: the handler keeps time to answer.
func checkBudgets(t *testing.T, deadlines []time.Time, lambdaDeadline time.Time) {
	t.Helper()
	for i, d := range deadlines {
		if d.IsZero() || d.After(lambdaDeadline.Add(-minMargin)) {
			t.Errorf("request %d: deadline %v, want at least %v before Lambda's %v", i, d, minMargin, lambdaDeadline)
		}
	}
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
	tr.DialContext = dial
	f := &faultAPI{hc: hc, sent: &sentRequests{next: tr}}
	hc.Transport = f.sent
	t.Cleanup(tr.CloseIdleConnections)

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
// and fails unless the answer is contract-conforming JSON.
func (a *testAPI) callWithin(h Handler, ev events.APIGatewayV2HTTPRequest, d time.Duration) (events.APIGatewayV2HTTPResponse, map[string]any) {
	a.t.Helper()
	noteEvent(ev)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	resp, err := h(ctx, ev)
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
	// requests the Auth0 client sends per call.
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
		{name: "answers inside the budget", fault: fault(auth0test.Fault{Delay: time.Second}), deadline: 2 * time.Second,
			signupStatus: 201, tokenStatus: 200, signupReqs: 1, tokenReqs: 1},
		{name: "answers just after the budget", fault: fault(auth0test.Fault{Delay: 1850 * time.Millisecond}), deadline: 2 * time.Second,
			signupStatus: 504, signupCode: e504, tokenStatus: 504, tokenCode: e504, signupReqs: 1, tokenReqs: 1},
	}
}

// TestUpstreamFaults runs every fault against both handlers, then checks
// that nothing they started is still running. Faults that wait for the
// deadline run concurrently (they only sleep), the others one by one.
func TestUpstreamFaults(t *testing.T) {
	before := goleak.IgnoreCurrent()
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
	if err := leftoverGoroutines(10*time.Second, before); err != nil {
		t.Fatal(err)
	}
}

// invocation is what one handler call gave, under which Lambda deadline.
type invocation struct {
	resp     events.APIGatewayV2HTTPResponse
	err      error
	deadline time.Time
}

// invoke calls h under a context deadline d away, as Lambda sets it. It
// touches no *testing.T, so calls can run concurrently.
func invoke(h Handler, ev events.APIGatewayV2HTTPRequest, d time.Duration) invocation {
	deadline := time.Now().Add(d)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	resp, err := h(ctx, ev)
	return invocation{resp: resp, err: err, deadline: deadline}
}

// answer fails t unless inv is contract-conforming JSON.
func (a *testAPI) answer(t *testing.T, inv invocation) map[string]any {
	t.Helper()
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

		// How many requests the client sent, and how many reached Auth0:
		// all of them, unless the address is broken or Auth0 is too slow
		// (whether a request it never answers reached it depends on how
		// busy the machine is).
		var sent []auth0test.Request
		for _, r := range a.srv.Requests() {
			if r.Path == path {
				sent = append(sent, r)
			}
		}
		deadlines := a.sent.all()
		checkBudgets(t, deadlines, inv.deadline)
		switch got := len(deadlines); {
		case got != reqs:
			t.Fatalf("%d Auth0 requests for one call, want %d", got, reqs)
		case c.base != nil && len(sent) != 0:
			t.Fatalf("%d requests reached the test server behind a broken address", len(sent))
		case c.base == nil && c.deadline == 0 && len(sent) != got:
			t.Fatalf("%d requests sent, %d reached the test server", got, len(sent))
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

// TestDeadlineDiscipline: with Auth0 hanging, each handler gives the Auth0
// call a deadline at least minMargin ahead of Lambda's, is cut off there,
// answers 504 upstream_timeout and never retries; under a 1 s (five times),
// 3 s (twice) and 10 s deadline. The six scenarios run at once; the calls
// within one run one after another, as Lambda sends them to one instance.
// (When the answer is written, after the cut-off, is up to the scheduler:
// TestBudget pins the margin it has.)
func TestDeadlineDiscipline(t *testing.T) {
	t.Parallel()
	type scenario struct {
		name     string
		a        *faultAPI
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
			srv := auth0test.NewServer(auth0test.Config{})
			t.Cleanup(srv.Close)
			srv.AddUser(email, goodPassword)
			srv.Fault("/oauth/token", auth0test.Fault{Hang: true})
			srv.Fault("/dbconnections/signup", auth0test.Fault{Hang: true})
			a := newFaultAPI(t, srv, srv.URL, nil)
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
			// A timed-out call is never retried: one request per call.
			sent := s.a.sent.all()
			if len(sent) != len(s.results) {
				t.Fatalf("%d calls sent %d requests to Auth0", len(s.results), len(sent))
			}
			for i, inv := range s.results {
				body := s.a.answer(t, inv)
				wantError(t, inv.resp, body, 504, "upstream_timeout")
				checkBudgets(t, sent[i:i+1], inv.deadline)
			}
		})
	}
}

// TestBudget: the Auth0 call gets a tenth of the time left, at least
// minMargin and at most maxMargin, before Lambda's deadline; a context
// without one gets defaultBudget.
func TestBudget(t *testing.T) {
	for _, c := range []struct {
		left     time.Duration
		min, max time.Duration // bounds of the margin: time passes while it is computed
	}{
		{time.Second, minMargin, minMargin},
		{2500 * time.Millisecond, minMargin, 250 * time.Millisecond},
		{3 * time.Second, minMargin, 300 * time.Millisecond},
		{5 * time.Second, minMargin, maxMargin},
		{15 * time.Minute, maxMargin, maxMargin},
	} {
		lambda := time.Now().Add(c.left)
		parent, cancel := context.WithDeadline(context.Background(), lambda)
		ctx, stop := withBudget(parent)
		got, ok := ctx.Deadline()
		stop()
		cancel()
		if margin := lambda.Sub(got); !ok || margin < c.min || margin > c.max {
			t.Errorf("%s left: margin %v, want %v to %v", c.left, margin, c.min, c.max)
		}
	}
	ctx, stop := withBudget(context.Background())
	defer stop()
	if d, ok := ctx.Deadline(); !ok || time.Until(d) > defaultBudget {
		t.Errorf("no deadline: budget ends %v, want within %v", d, defaultBudget)
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
