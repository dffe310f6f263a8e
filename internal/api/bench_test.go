package api

// Warm per-invocation overhead of each handler, event in, response out
// (make bench-warm; figures in BENCHMARKS.md). The in-memory benchmarks
// answer Auth0 from an http.RoundTripper holding answers recorded from
// auth0test, so that only this module's code (decode, client, encode, log)
// is measured; the Loopback ones go through a real auth0test server on
// 127.0.0.1. No test here asserts a timing.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/pkg/auth0"
	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

const (
	benchEmail    = "jane.doe@example.com"
	benchPassword = "Correct-Horse-42"
)

// benchTransport answers every request with one recorded answer. It drains
// the request body as a real transport would. It costs two allocations per
// call (the Response and its body).
type benchTransport struct {
	status int
	header http.Header
	body   string
}

func (t *benchTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	return &http.Response{
		Status: strconv.Itoa(t.status) + " " + http.StatusText(t.status), StatusCode: t.status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: t.header, Body: &benchBody{s: t.body}, ContentLength: int64(len(t.body)), Request: req,
	}, nil
}

type benchBody struct {
	s string
	i int
}

func (b *benchBody) Read(p []byte) (int, error) {
	if b.i >= len(b.s) {
		return 0, io.EOF
	}
	n := copy(p, b.s[b.i:])
	b.i += n
	return n, nil
}

func (b *benchBody) Close() error { return nil }

// benchRecord makes one real call to srv and keeps its answer.
func benchRecord(b *testing.B, srv *auth0test.Server, path, contentType, body string) *benchTransport {
	b.Helper()
	resp, err := http.Post(srv.URL+path, contentType, strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("recording %s: %s %s", path, resp.Status, data)
	}
	return &benchTransport{status: resp.StatusCode, header: resp.Header.Clone(), body: string(data)}
}

// benchSampleEvent loads a sample event from the repository's events/.
func benchSampleEvent(b *testing.B, name string) events.APIGatewayV2HTTPRequest {
	b.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		b.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(data, &ev); err != nil {
		b.Fatal(err)
	}
	return ev
}

// benchContext is what lambda.Start gives a handler: a deadline and the
// invocation's metadata.
func benchContext(b *testing.B) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	b.Cleanup(cancel)
	return lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
		InvokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:token",
	})
}

// benchClient is the production client with its transport replaced. For a
// RoundTripper that is not its own, net/http enforces Client.Timeout with a
// goroutine and a timer per request; with *http.Transport (production) it
// derives a context at most, and the handler's context already carries the
// deadline. So the in-memory client has no Timeout, to time our code only.
func benchClient(srv *auth0test.Server, rt http.RoundTripper) *auth0.Client {
	c := srv.Config()
	hc := auth0.NewHTTPClient()
	if rt != nil {
		hc.Transport = rt
		hc.Timeout = 0
	}
	return auth0.NewClient(auth0.Config{BaseURL: srv.URL, ClientID: c.ClientID, Audience: c.Audience,
		Connection: c.Connection, Scope: auth0.DefaultScope}, hc)
}

func benchRun(b *testing.B, h Handler, ev func() events.APIGatewayV2HTTPRequest, want int) {
	b.Helper()
	ctx := benchContext(b)
	if resp, _ := h(ctx, ev()); resp.StatusCode != want {
		b.Fatalf("status %d, want %d: %s", resp.StatusCode, want, resp.Body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		resp, err := h(ctx, ev())
		if err != nil || resp.StatusCode != want {
			b.Fatalf("status %d (%v), want %d: %s", resp.StatusCode, err, want, resp.Body)
		}
	}
}

func BenchmarkSignupHandler(b *testing.B) {
	srv := auth0test.NewServer(auth0test.Config{})
	defer srv.Close()
	c := srv.Config()
	signupBody, _ := json.Marshal(map[string]string{"client_id": c.ClientID, "email": benchEmail,
		"password": benchPassword, "connection": c.Connection})
	rt := benchRecord(b, srv, "/dbconnections/signup", "application/json", string(signupBody))
	h := NewSignupHandler(benchClient(srv, rt), NewLogger(io.Discard))
	ev := benchSampleEvent(b, "signup.json")
	benchRun(b, h, func() events.APIGatewayV2HTTPRequest { return ev }, http.StatusCreated)
}

func BenchmarkTokenHandler(b *testing.B) {
	srv := auth0test.NewServer(auth0test.Config{})
	defer srv.Close()
	c := srv.Config()
	srv.AddUser(benchEmail, benchPassword)
	form := url.Values{"grant_type": {auth0.PasswordRealmGrant}, "realm": {c.Connection}, "client_id": {c.ClientID},
		"client_secret": {c.ClientSecret}, "audience": {c.Audience}, "username": {benchEmail},
		"password": {benchPassword}, "scope": {auth0.DefaultScope}}
	rt := benchRecord(b, srv, "/oauth/token", "application/x-www-form-urlencoded", form.Encode())
	h := NewTokenHandler(benchClient(srv, rt), &fakeSecret{value: c.ClientSecret}, NewLogger(io.Discard))
	ev := benchSampleEvent(b, "token.json")
	benchRun(b, h, func() events.APIGatewayV2HTTPRequest { return ev }, http.StatusOK)
}

func BenchmarkSignupHandlerLoopback(b *testing.B) {
	srv := auth0test.NewServer(auth0test.Config{})
	defer srv.Close()
	h := NewSignupHandler(benchClient(srv, nil), NewLogger(io.Discard))
	ev := benchSampleEvent(b, "signup.json")
	n := 0
	next := func() events.APIGatewayV2HTTPRequest { // each signup needs a new address
		n++
		e := ev
		e.Body = `{"email":"bench-` + strconv.Itoa(n) + `@example.com","password":"` + benchPassword + `"}`
		return e
	}
	benchRun(b, h, next, http.StatusCreated)
}

func BenchmarkTokenHandlerLoopback(b *testing.B) {
	srv := auth0test.NewServer(auth0test.Config{})
	defer srv.Close()
	srv.AddUser(benchEmail, benchPassword)
	h := NewTokenHandler(benchClient(srv, nil), &fakeSecret{value: srv.Config().ClientSecret}, NewLogger(io.Discard))
	ev := benchSampleEvent(b, "token.json")
	benchRun(b, h, func() events.APIGatewayV2HTTPRequest { return ev }, http.StatusOK)
}
