package lambdatest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// These tests speak the Runtime API by hand, playing the function.

func newTestRuntime(t *testing.T) *Runtime {
	t.Helper()
	rt := NewRuntime()
	t.Cleanup(rt.Close)
	return rt
}

type apiClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newAPIClient(t *testing.T, rt *Runtime) *apiClient {
	c := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(c.CloseIdleConnections)
	return &apiClient{t: t, base: "http://" + rt.Addr() + apiPrefix, c: c}
}

// next long-polls for an event like aws-lambda-go does.
func (a *apiClient) next(ctx context.Context) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+"/invocation/next", nil)
	if err != nil {
		return nil, nil, err
	}
	resp, err := a.c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func (a *apiClient) mustNext() (http.Header, []byte) {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, body, err := a.next(ctx)
	if err != nil {
		a.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		a.t.Fatalf("next: status %d: %s", resp.StatusCode, body)
	}
	return resp.Header, body
}

func (a *apiClient) post(path, body string, header http.Header) (int, string) {
	a.t.Helper()
	req, err := http.NewRequest(http.MethodPost, a.base+path, strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := a.c.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type invokeOutcome struct {
	res Result
	err error
}

// invokeAsync runs Invoke in the background; wait collects its outcome.
func invokeAsync(ctx context.Context, rt *Runtime, payload string, timeout time.Duration) <-chan invokeOutcome {
	ch := make(chan invokeOutcome, 1)
	go func() {
		res, err := rt.Invoke(ctx, []byte(payload), timeout)
		ch <- invokeOutcome{res, err}
	}()
	return ch
}

func wait(t *testing.T, ch <-chan invokeOutcome) invokeOutcome {
	t.Helper()
	select {
	case o := <-ch:
		return o
	case <-time.After(10 * time.Second):
		t.Fatal("Invoke did not return")
		return invokeOutcome{}
	}
}

// sameError compares type and message, which is what callers act on.
func sameError(got *FunctionError, want FunctionError) bool {
	return got != nil && got.ErrorType == want.ErrorType && got.ErrorMessage == want.ErrorMessage
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestInvokeResponse(t *testing.T) {
	rt := newTestRuntime(t)
	api := newAPIClient(t, rt)
	if !strings.HasPrefix(rt.Addr(), "127.0.0.1:") {
		t.Errorf("Addr() = %q, want loopback", rt.Addr())
	}

	before := time.Now()
	ch := invokeAsync(context.Background(), rt, `{"a":1}`, 5*time.Second)
	h, body := api.mustNext()
	after := time.Now()

	if string(body) != `{"a":1}` {
		t.Errorf("event body = %s", body)
	}
	id := h.Get(headerRequestID)
	if !uuidRE.MatchString(id) {
		t.Errorf("request ID %q is not a UUID", id)
	}
	ms, err := strconv.ParseInt(h.Get(headerDeadlineMS), 10, 64)
	if err != nil {
		t.Fatalf("deadline header %q: %v", h.Get(headerDeadlineMS), err)
	}
	if d := time.UnixMilli(ms); d.Before(before.Add(5*time.Second-time.Millisecond)) || d.After(after.Add(5*time.Second)) {
		t.Errorf("deadline %v not 5s after dispatch (%v..%v)", d, before, after)
	}
	if got := h.Get(headerFunctionARN); got != defaultFunctionARN {
		t.Errorf("function ARN = %q", got)
	}
	if got := h.Get(headerTraceID); !regexp.MustCompile(`^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$`).MatchString(got) {
		t.Errorf("trace ID = %q", got)
	}
	if err := rt.WaitReady(context.Background()); err != nil {
		t.Errorf("WaitReady after /next: %v", err)
	}

	// Busy until it responds and polls again.
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := rt.WaitIdle(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitIdle while in flight = %v", err)
	}
	if code, b := api.post("/invocation/"+id+"/response", `{"ok":true}`, nil); code != http.StatusAccepted {
		t.Fatalf("response: status %d: %s", code, b)
	}
	o := wait(t, ch)
	pollCtx, stopPoll := context.WithCancel(context.Background())
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		api.next(pollCtx)
	}()
	if err := rt.WaitIdle(context.Background()); err != nil {
		t.Errorf("WaitIdle once polling = %v", err)
	}
	stopPoll()
	<-polled
	if o.err != nil {
		t.Fatal(o.err)
	}
	if o.res.RequestID != id || string(o.res.Payload) != `{"ok":true}` || o.res.Error != nil || o.res.Duration <= 0 {
		t.Errorf("result = %+v", o.res)
	}

	// Finished: a second response is refused, as is an unknown ID.
	if code, _ := api.post("/invocation/"+id+"/response", `{}`, nil); code != http.StatusBadRequest {
		t.Errorf("second response: status %d, want 400", code)
	}
	if code, _ := api.post("/invocation/nope/error", `{}`, nil); code != http.StatusBadRequest {
		t.Errorf("unknown ID: status %d, want 400", code)
	}
}

func TestInvokeFunctionError(t *testing.T) {
	rt := newTestRuntime(t)
	api := newAPIClient(t, rt)

	ch := invokeAsync(context.Background(), rt, `{}`, time.Second)
	h, _ := api.mustNext()
	doc := `{"errorMessage":"boom","errorType":"errorString","stackTrace":[{"path":"x.go","line":1,"label":"f"}]}`
	if code, b := api.post("/invocation/"+h.Get(headerRequestID)+"/error", doc, http.Header{headerErrorType: {"Runtime.Ignored"}}); code != http.StatusAccepted {
		t.Fatalf("status %d: %s", code, b)
	}
	o := wait(t, ch)
	if o.err != nil || o.res.Error == nil {
		t.Fatalf("Invoke = %+v, %v", o.res, o.err)
	}
	if e := o.res.Error; e.ErrorType != "errorString" || e.ErrorMessage != "boom" || !strings.Contains(string(e.StackTrace), "x.go") {
		t.Errorf("error = %+v", e)
	}
	if string(o.res.Payload) != doc {
		t.Errorf("payload = %s, want the error document", o.res.Payload)
	}

	// A body that is not an error document still fails the invocation.
	ch = invokeAsync(context.Background(), rt, `{}`, time.Second)
	h, _ = api.mustNext()
	api.post("/invocation/"+h.Get(headerRequestID)+"/error", "oops", http.Header{headerErrorType: {"Custom.Type"}})
	o = wait(t, ch)
	if e := o.res.Error; e == nil || e.ErrorType != "Custom.Type" || e.ErrorMessage != "oops" || !json.Valid(o.res.Payload) {
		t.Errorf("result = %+v", o.res)
	}
}

func TestInvokeTimeout(t *testing.T) {
	rt := newTestRuntime(t)
	api := newAPIClient(t, rt)

	ch := invokeAsync(context.Background(), rt, `{}`, 100*time.Millisecond)
	h, _ := api.mustNext()
	o := wait(t, ch)
	if e := o.res.Error; o.err != nil || e == nil || e.ErrorType != ErrorTypeTimeout || e.ErrorMessage != "Task timed out after 0.10 seconds" {
		t.Fatalf("Invoke = %+v, %v", o.res, o.err)
	}
	if o.res.Duration < 100*time.Millisecond {
		t.Errorf("Duration = %v, want >= timeout", o.res.Duration)
	}
	if code, _ := api.post("/invocation/"+h.Get(headerRequestID)+"/response", `{}`, nil); code != http.StatusBadRequest {
		t.Errorf("late response: status %d, want 400", code)
	}
}

func TestInvokeContextEnds(t *testing.T) {
	rt := newTestRuntime(t)
	// Nobody polls, so the event is never handed out.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := rt.Invoke(ctx, []byte(`{}`), time.Second); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Invoke = %v, want DeadlineExceeded", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := rt.WaitReady(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitReady = %v, want DeadlineExceeded", err)
	}
}

func TestInitErrorEndpoint(t *testing.T) {
	rt := newTestRuntime(t)
	api := newAPIClient(t, rt)

	ch := invokeAsync(context.Background(), rt, `{}`, time.Second)
	if code, b := api.post("/init/error", `{"errorMessage":"no config","errorType":"ConfigError"}`, nil); code != http.StatusAccepted {
		t.Fatalf("status %d: %s", code, b)
	}
	want := FunctionError{ErrorMessage: "no config", ErrorType: "ConfigError"}
	if e := rt.InitError(); !sameError(e, want) {
		t.Errorf("InitError() = %+v", e)
	}
	var ferr *FunctionError
	if err := rt.WaitReady(context.Background()); !errors.As(err, &ferr) || ferr.ErrorType != "ConfigError" {
		t.Errorf("WaitReady = %v", err)
	}
	// The queued invocation and later ones fail with the init error.
	for _, o := range []invokeOutcome{wait(t, ch), wait(t, invokeAsync(context.Background(), rt, `{}`, time.Second))} {
		if o.err != nil || !sameError(o.res.Error, want) {
			t.Errorf("Invoke = %+v, %v", o.res, o.err)
		}
	}
}

func TestInitErrorAfterInit(t *testing.T) {
	rt := newTestRuntime(t)
	api := newAPIClient(t, rt)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		api.next(ctx) // becomes ready, then abandoned
	}()
	if err := rt.WaitReady(context.Background()); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	if code, _ := api.post("/init/error", `{"errorMessage":"late","errorType":"X"}`, nil); code != http.StatusForbidden {
		t.Errorf("status %d, want 403", code)
	}
	if rt.InitError() != nil {
		t.Error("InitError set after init")
	}
}

func TestResponseTooLarge(t *testing.T) {
	rt := newTestRuntime(t)
	api := newAPIClient(t, rt)

	ch := invokeAsync(context.Background(), rt, `{}`, 5*time.Second)
	h, _ := api.mustNext()
	big := `"` + strings.Repeat("x", MaxResponseSize) + `"`
	if code, _ := api.post("/invocation/"+h.Get(headerRequestID)+"/response", big, nil); code != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", code)
	}
	if o := wait(t, ch); o.res.Error == nil || o.res.Error.ErrorType != ErrorTypeResponseTooLarge {
		t.Errorf("result = %+v", o.res.Error)
	}
}

func TestResponseTrailerError(t *testing.T) {
	rt := newTestRuntime(t)
	api := newAPIClient(t, rt)

	ch := invokeAsync(context.Background(), rt, `{}`, 5*time.Second)
	h, _ := api.mustNext()
	// What aws-lambda-go sends when reading a streamed response fails.
	req, _ := http.NewRequest(http.MethodPost, api.base+"/invocation/"+h.Get(headerRequestID)+"/response", io.NopCloser(strings.NewReader("partial")))
	req.ContentLength = -1 // chunked, so trailers can follow
	req.Trailer = http.Header{
		trailerErrorType: {"readError"},
		trailerErrorBody: {"eyJlcnJvck1lc3NhZ2UiOiJkaXNrIGdvbmUiLCJlcnJvclR5cGUiOiJyZWFkRXJyb3IifQ=="}, // {"errorMessage":"disk gone","errorType":"readError"}
	}
	resp, err := api.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if o := wait(t, ch); !sameError(o.res.Error, FunctionError{ErrorMessage: "disk gone", ErrorType: "readError"}) {
		t.Errorf("result = %+v", o.res)
	}
}

func TestCloseReleasesEveryone(t *testing.T) {
	rt := NewRuntime()
	api := newAPIClient(t, rt)

	pending := invokeAsync(context.Background(), rt, `{}`, time.Second) // never handed out
	polled := make(chan int, 1)
	ready := make(chan struct{})
	go func() {
		// The first poll takes the event, which is never answered; the
		// second waits for another event until Close.
		if _, _, err := api.next(context.Background()); err != nil {
			polled <- -1
			close(ready)
			return
		}
		close(ready)
		resp, _, err := api.next(context.Background())
		if err != nil {
			polled <- -1
			return
		}
		polled <- resp.StatusCode
	}()
	<-ready
	time.Sleep(20 * time.Millisecond) // let the second poll arrive
	rt.Close()
	rt.Close() // idempotent

	if o := wait(t, pending); !errors.Is(o.err, ErrClosed) {
		t.Errorf("pending Invoke = %+v, %v; want ErrClosed", o.res, o.err)
	}
	select {
	case code := <-polled:
		if code != http.StatusInternalServerError {
			t.Errorf("/next after Close: %d, want 500", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("/next not released by Close")
	}
	if _, err := rt.Invoke(context.Background(), nil, time.Second); !errors.Is(err, ErrClosed) {
		t.Errorf("Invoke after Close = %v", err)
	}
}
