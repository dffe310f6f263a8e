package api

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/internal/contracttest"
	"github.com/auth0-sam-go/authapi/internal/syncbuf"
	"github.com/auth0-sam-go/authapi/pkg/auth0"
	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
	"github.com/aws/aws-lambda-go/events"
)

// fakeSecret is an in-memory SecretSource that counts reads.
type fakeSecret struct {
	mu        sync.Mutex
	value     string
	err       error
	refreshed int
	next      string // what Refresh switches to, if set
}

func (f *fakeSecret) Get(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.value, f.err
}

func (f *fakeSecret) Refresh(ctx context.Context) (string, error) {
	f.mu.Lock()
	f.refreshed++
	if f.next != "" {
		f.value, f.next = f.next, ""
	}
	f.mu.Unlock()
	return f.Get(ctx)
}

func (f *fakeSecret) set(v string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.value, f.err = v, err
}

// syncBuffer collects log output from handlers that may run concurrently.
type syncBuffer = syncbuf.Buffer

// testAPI is both handlers wired to one auth0test server, as main wires them.
type testAPI struct {
	t      *testing.T
	srv    *auth0test.Server
	cfg    auth0.Config
	secret *fakeSecret
	logs   *syncBuffer
	signup Handler
	token  Handler
	logout Handler
	reset  Handler
	// The functions as main wires them: every route behind its router.
	signupFn, tokenFn Handler
	lastPath          string // of the last event sent, for the router's 404
}

func newTestAPI(t *testing.T, cfg auth0test.Config) *testAPI {
	t.Helper()
	srv := auth0test.NewServer(cfg)
	t.Cleanup(srv.Close)
	c := srv.Config()
	a0cfg := auth0.Config{BaseURL: srv.URL, ClientID: c.ClientID, Audience: c.Audience, Connection: c.Connection, Scope: auth0.DefaultScope}
	return newTestAPIFor(t, srv, a0cfg)
}

func newTestAPIFor(t *testing.T, srv *auth0test.Server, a0cfg auth0.Config) *testAPI {
	logs := &syncBuffer{}
	recordLogs(t, logs)
	logger := NewLogger(logs)
	client := auth0.NewClient(a0cfg, nil)
	sec := &fakeSecret{value: srv.Config().ClientSecret}
	sensitive("client secret", sec.value)
	return &testAPI{t: t, srv: srv, cfg: a0cfg, secret: sec, logs: logs,
		signup:   NewSignupHandler(client, logger),
		token:    NewTokenHandler(client, sec, logger),
		logout:   NewLogoutHandler(client, sec, logger),
		reset:    NewPasswordResetHandler(client, logger),
		signupFn: NewSignupFunction(client, logger),
		tokenFn:  NewTokenFunction(client, sec, logger)}
}

// call invokes h with a Lambda-like deadline and decodes the answer.
func (a *testAPI) call(h Handler, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, map[string]any) {
	a.t.Helper()
	resp := a.invoke(h, ev)
	if ct := resp.Headers["Content-Type"]; ct != "application/json" {
		a.t.Fatalf("Content-Type = %q", ct)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		a.t.Fatalf("body is not JSON: %q", resp.Body)
	}
	noteAnswer(body)
	a.checkContract(resp)
	return resp, body
}

// invoke calls h with a Lambda-like deadline; the answer is checked
// against the contract but may have no body.
func (a *testAPI) invoke(h Handler, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	a.t.Helper()
	noteEvent(ev)
	a.lastPath = ev.RequestContext.HTTP.Path
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := h(ctx, ev)
	if err != nil {
		a.t.Fatalf("handler returned an error (API Gateway would answer a bare 500): %v", err)
	}
	if resp.Body == "" {
		a.checkContract(resp)
	}
	return resp
}

func creds(email, password string) events.APIGatewayV2HTTPRequest {
	b, _ := json.Marshal(map[string]string{"email": email, "password": password})
	return jsonEvent(string(b))
}

// wantError checks an error answer against the contract.
func wantError(t *testing.T, resp events.APIGatewayV2HTTPResponse, body map[string]any, status int, code string) {
	t.Helper()
	if resp.StatusCode != status || body["code"] != code {
		t.Fatalf("got %d %v, want %d %s", resp.StatusCode, body, status, code)
	}
	if body["error"] == "" || body["error"] == nil || body["message"] == nil || body["message"] == "" {
		t.Fatalf("error body lacks error/message: %v", body)
	}
}

var errBoom = errors.New("boom")

// refreshTo makes the next Refresh return v (a rotated secret) while Get
// keeps returning the stale value until then.
func refreshTo(f *fakeSecret, v string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next = v
}

// checkContract validates the answer against api/openapi.yaml, for the route
// named in the request's log line.
func (a *testAPI) checkContract(resp events.APIGatewayV2HTTPResponse) {
	a.t.Helper()
	if a.logs == nil {
		return
	}
	lines := strings.Split(strings.TrimSpace(a.logs.String()), "\n")
	var last struct{ Route string }
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last.Route == "" {
		a.t.Fatalf("no route in the last log line: %q", lines[len(lines)-1])
	}
	method, path, _ := strings.Cut(last.Route, " ")
	switch {
	case last.Route == "unknown route": // the router's 404: a path of another function
		method, path = "POST", a.lastPath
	case method == "*": // the router's 405: the operation it allows
		method, _, _ = strings.Cut(resp.Headers["Allow"], ",")
	}
	contracttest.Load(a.t).Check(a.t, method, path, resp.StatusCode, resp.Headers, resp.Body)
}
