// Package lambdatest runs Lambda functions built for a custom runtime
// (provided.al2023: a "bootstrap" binary using aws-lambda-go's lambda.Start)
// on the local machine, without Docker or the SAM CLI. A Runtime serves the
// Lambda Runtime API on 127.0.0.1 and a Process runs the bootstrap binary
// against it, the way the Lambda service does.
//
// Runtime API reference: https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
package lambdatest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Runtime API paths and headers, as the Lambda service and aws-lambda-go spell them.
const (
	apiPrefix = "/2018-06-01/runtime"

	headerRequestID    = "Lambda-Runtime-Aws-Request-Id"
	headerDeadlineMS   = "Lambda-Runtime-Deadline-Ms"
	headerFunctionARN  = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID      = "Lambda-Runtime-Trace-Id"
	headerErrorType    = "Lambda-Runtime-Function-Error-Type"
	trailerErrorType   = "Lambda-Runtime-Function-Error-Type"
	trailerErrorBody   = "Lambda-Runtime-Function-Error-Body"
	defaultFunctionARN = "arn:aws:lambda:us-east-1:123456789012:function:function"
)

// MaxResponseSize is Lambda's limit for a synchronous response (6 MB). Larger
// responses are refused with 413, as Lambda does.
const MaxResponseSize = 6 * 1024 * 1024

// DefaultTimeout is used when Invoke is given no timeout; it is Lambda's and
// SAM's default function timeout.
const DefaultTimeout = 3 * time.Second

// Error types the Runtime reports on behalf of the function, named as Lambda
// names them.
const (
	ErrorTypeExit             = "Runtime.ExitError"
	ErrorTypeTimeout          = "Sandbox.Timedout"
	ErrorTypeResponseTooLarge = "Function.ResponseSizeTooLarge"
)

// ErrClosed is returned by Invoke and WaitReady once the Runtime is closed.
var ErrClosed = errors.New("lambdatest: runtime closed")

// FunctionError is an error document as posted by the function to
// /invocation/{id}/error or /init/error, or made up by the Runtime for a
// crash, timeout or oversized response.
type FunctionError struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
	// StackTrace is kept raw: aws-lambda-go sends frames as objects, other
	// runtimes send strings.
	StackTrace json.RawMessage `json:"stackTrace,omitempty"`
}

func (e *FunctionError) Error() string {
	return e.ErrorType + ": " + e.ErrorMessage
}

// Result is the outcome of one invocation.
type Result struct {
	RequestID string
	// Payload is the function's response body, or on error the error
	// document, which is what Lambda's Invoke API returns as the payload.
	Payload []byte
	// Error is non-nil when the invocation failed: the function reported an
	// error or panicked, crashed, timed out or responded with too much data.
	Error *FunctionError
	// Duration runs from handing the event to the function (its /next call)
	// to its response, like the Duration of Lambda's REPORT line; it does not
	// include init.
	Duration time.Duration
}

// Runtime is an in-process Lambda Runtime API server on 127.0.0.1. It serves
// one execution environment: at most one Process over its life, so a new
// Runtime means a new cold start, as in Lambda.
type Runtime struct {
	ln        net.Listener
	srv       *http.Server
	serveDone chan struct{}

	// queue is unbuffered so an event is handed out only to a /next call
	// that is waiting for it; its deadline starts then, not while queued.
	queue      chan *invocation
	closed     chan struct{}
	closeOnce  sync.Once
	ready      chan struct{} // closed at the first /next: init finished
	initFailed chan struct{} // closed at the first /init/error
	exited     chan struct{} // closed when the attached process exits

	mu          sync.Mutex
	readyAt     time.Time
	initErr     *FunctionError
	exitErr     *FunctionError
	inflight    map[string]*invocation
	functionARN string
	proc        *Process
	kill        func()        // kills the attached process after a timeout
	polling     int           // /next calls waiting for an event
	changed     chan struct{} // closed and replaced when polling, inflight or exitErr change
}

type invocation struct {
	id      string
	payload []byte
	timeout time.Duration
	done    chan struct{} // closed once result is set

	// Guarded by Runtime.mu.
	started  time.Time
	timer    *time.Timer
	finished bool
	result   Result
}

// NewRuntime starts a Runtime API server on a free loopback port. Close it
// when done. It panics if it cannot listen, like httptest.NewServer.
func NewRuntime() *Runtime {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("lambdatest: listen on loopback: %v", err))
	}
	r := &Runtime{
		ln:          ln,
		serveDone:   make(chan struct{}),
		queue:       make(chan *invocation),
		closed:      make(chan struct{}),
		ready:       make(chan struct{}),
		initFailed:  make(chan struct{}),
		exited:      make(chan struct{}),
		inflight:    make(map[string]*invocation),
		functionARN: defaultFunctionARN,
		changed:     make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+apiPrefix+"/invocation/next", r.handleNext)
	mux.HandleFunc("POST "+apiPrefix+"/invocation/{id}/response", r.handleResponse)
	mux.HandleFunc("POST "+apiPrefix+"/invocation/{id}/error", r.handleError)
	mux.HandleFunc("POST "+apiPrefix+"/init/error", r.handleInitError)
	r.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(r.serveDone)
		_ = r.srv.Serve(ln) // returns ErrServerClosed after Close
	}()
	return r
}

// Addr is the host:port of the server, the value for AWS_LAMBDA_RUNTIME_API.
func (r *Runtime) Addr() string { return r.ln.Addr().String() }

// Close stops the server and fails pending Invoke calls with ErrClosed. A
// process still polling gets an error from /next, which makes aws-lambda-go
// exit. Close does not kill the process: use Process.Stop.
func (r *Runtime) Close() {
	r.closeOnce.Do(func() {
		close(r.closed)
		r.mu.Lock()
		for _, inv := range r.inflight {
			inv.timer.Stop() // no timeout kills after Close
		}
		r.kill = nil
		r.mu.Unlock()
		// /next handlers return on r.closed, so Shutdown only waits for
		// requests already being answered.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := r.srv.Shutdown(ctx); err != nil {
			_ = r.srv.Close()
		}
		<-r.serveDone
	})
}

// Invoke sends one event to the function and waits for its response or
// error. The function's deadline (Lambda-Runtime-Deadline-Ms) is timeout
// after the event is handed out; timeout <= 0 means DefaultTimeout. When the
// deadline passes first, the Result reports Sandbox.Timedout and, as Lambda
// resets the sandbox, the attached process is killed.
//
// Failures of the function (errors, panics, crashes, timeouts, init errors)
// are reported in Result.Error. The error return is for the caller's side:
// ctx ended (the event may still run) or the Runtime was closed.
func (r *Runtime) Invoke(ctx context.Context, payload []byte, timeout time.Duration) (Result, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	inv := &invocation{
		id:      newRequestID(),
		payload: bytes.Clone(payload),
		timeout: timeout,
		done:    make(chan struct{}),
	}
	// Checked before the select below, which would pick at random among ready cases.
	if stopped, res, err := r.unavailable(inv.id); stopped {
		return res, err
	}
	select {
	case r.queue <- inv:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	case <-r.closed:
		return Result{}, ErrClosed
	case <-r.initFailed:
		return failedResult(inv.id, r.InitError()), nil
	case <-r.exited:
		return failedResult(inv.id, r.exitError()), nil
	}
	select {
	case <-inv.done:
		return inv.result, nil // written before done was closed
	case <-ctx.Done():
		return Result{}, ctx.Err()
	case <-r.closed:
		return Result{}, ErrClosed
	}
}

// unavailable reports why no event can be handed out any more, if so.
func (r *Runtime) unavailable(id string) (bool, Result, error) {
	select {
	case <-r.closed:
		return true, Result{}, ErrClosed
	default:
	}
	select {
	case <-r.initFailed:
		return true, failedResult(id, r.InitError()), nil
	default:
	}
	select {
	case <-r.exited:
		return true, failedResult(id, r.exitError()), nil
	default:
	}
	return false, Result{}, nil
}

// InitError returns what the process posted to /init/error, or nil.
func (r *Runtime) InitError() *FunctionError {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.initErr
}

func (r *Runtime) exitError() *FunctionError {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.exitErr
}

// WaitReady blocks until the function finished init, i.e. made its first
// /next call. It fails if the function posts /init/error, its process exits
// first, the Runtime is closed or ctx ends.
func (r *Runtime) WaitReady(ctx context.Context) error {
	select {
	case <-r.ready:
		return nil
	default:
	}
	select {
	case <-r.ready:
		return nil
	case <-r.initFailed:
		return fmt.Errorf("lambdatest: init failed: %w", r.InitError())
	case <-r.exited:
		return fmt.Errorf("lambdatest: process exited during init: %w", r.exitError())
	case <-r.closed:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WaitIdle blocks until the function is polling /next with no invocation
// in flight, which is when Lambda considers the last invocation complete
// (work after the response, its logs, are done), or until its process has
// exited. It fails only if the Runtime is closed or ctx ends.
func (r *Runtime) WaitIdle(ctx context.Context) error {
	for {
		r.mu.Lock()
		idle := (r.polling > 0 && len(r.inflight) == 0) || r.exitErr != nil
		changed := r.changed
		r.mu.Unlock()
		if idle {
			return nil
		}
		select {
		case <-changed:
		case <-r.closed:
			return ErrClosed
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// notifyLocked wakes WaitIdle callers. r.mu must be held.
func (r *Runtime) notifyLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *Runtime) readyTime() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.readyAt
}

// attach binds p as the Runtime's only process.
func (r *Runtime) attach(p *Process, functionARN string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proc != nil {
		return errors.New("lambdatest: runtime already has a process; use a new Runtime for a new execution environment")
	}
	r.proc = p
	r.kill = func() { _ = p.kill() }
	r.functionARN = functionARN
	return nil
}

// detach undoes attach when the process could not be started.
func (r *Runtime) detach(p *Process) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proc == p {
		r.proc, r.kill, r.functionARN = nil, nil, defaultFunctionARN
	}
}

// processExited fails the events the process was running, and later ones, as
// Lambda does when the runtime exits.
func (r *Runtime) processExited(waitErr error) {
	msg := "Runtime exited without providing a reason"
	if waitErr != nil {
		msg = "Runtime exited with error: " + waitErr.Error()
	}
	ferr := &FunctionError{ErrorType: ErrorTypeExit, ErrorMessage: msg}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.exitErr != nil {
		return
	}
	r.exitErr = ferr
	r.kill = nil
	for _, inv := range r.inflight {
		r.finishLocked(inv, marshalError(ferr), ferr)
	}
	close(r.exited)
	r.notifyLocked()
}

// finishLocked records the outcome of inv once; later outcomes (a response
// after a timeout, say) are dropped. r.mu must be held.
func (r *Runtime) finishLocked(inv *invocation, payload []byte, ferr *FunctionError) bool {
	if inv.finished {
		return false
	}
	inv.finished = true
	if inv.timer != nil {
		inv.timer.Stop()
	}
	delete(r.inflight, inv.id)
	r.notifyLocked()
	inv.result = Result{RequestID: inv.id, Payload: payload, Error: ferr}
	if !inv.started.IsZero() {
		inv.result.Duration = time.Since(inv.started)
	}
	close(inv.done)
	return true
}

func (r *Runtime) timedOut(inv *invocation) {
	ferr := &FunctionError{
		ErrorType:    ErrorTypeTimeout,
		ErrorMessage: fmt.Sprintf("Task timed out after %.2f seconds", inv.timeout.Seconds()),
	}
	r.mu.Lock()
	finished := r.finishLocked(inv, marshalError(ferr), ferr)
	kill := r.kill
	r.mu.Unlock()
	if finished && kill != nil {
		kill()
	}
}

func (r *Runtime) handleNext(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	if r.readyAt.IsZero() {
		r.readyAt = time.Now()
		close(r.ready)
	}
	r.polling++
	r.notifyLocked()
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.polling--
		r.notifyLocked()
		r.mu.Unlock()
	}()

	var inv *invocation
	select {
	case inv = <-r.queue:
	case <-req.Context().Done():
		return // the function went away while polling
	case <-r.closed:
		writeError(w, http.StatusInternalServerError, "Runtime.Closed", "lambdatest runtime closed")
		return
	}

	r.mu.Lock()
	inv.started = time.Now()
	deadline := inv.started.Add(inv.timeout)
	arn := r.functionARN
	r.inflight[inv.id] = inv
	inv.timer = time.AfterFunc(inv.timeout, func() { r.timedOut(inv) })
	if r.exitErr != nil { // the process died while this call was in flight
		r.finishLocked(inv, marshalError(r.exitErr), r.exitErr)
	}
	r.mu.Unlock()

	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set(headerRequestID, inv.id)
	h.Set(headerDeadlineMS, strconv.FormatInt(deadline.UnixMilli(), 10))
	h.Set(headerFunctionARN, arn)
	h.Set(headerTraceID, newTraceID(inv.started))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.payload)
}

func (r *Runtime) handleResponse(w http.ResponseWriter, req *http.Request) {
	body, tooLarge, err := readBody(req.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	var ferr *FunctionError
	switch {
	case tooLarge:
		ferr = &FunctionError{
			ErrorType:    ErrorTypeResponseTooLarge,
			ErrorMessage: fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", MaxResponseSize),
		}
		body = marshalError(ferr)
	case req.Trailer.Get(trailerErrorType) != "":
		// aws-lambda-go reports a failed read of a streamed (io.Reader)
		// response in trailers after the partial body.
		ferr = trailerError(req.Trailer)
		body = marshalError(ferr)
	}
	if !r.finish(w, req.PathValue("id"), body, ferr) {
		return
	}
	if tooLarge {
		// aws-lambda-go treats any status but 202 as fatal and exits, as it
		// would in Lambda.
		writeError(w, http.StatusRequestEntityTooLarge, ferr.ErrorType, ferr.ErrorMessage)
		return
	}
	writeAccepted(w)
}

func (r *Runtime) handleError(w http.ResponseWriter, req *http.Request) {
	body, _, err := readBody(req.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	ferr, payload := parseFunctionError(body, req.Header.Get(headerErrorType))
	if r.finish(w, req.PathValue("id"), payload, ferr) {
		writeAccepted(w)
	}
}

func (r *Runtime) handleInitError(w http.ResponseWriter, req *http.Request) {
	body, _, err := readBody(req.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	ferr, _ := parseFunctionError(body, req.Header.Get(headerErrorType))
	r.mu.Lock()
	if !r.readyAt.IsZero() {
		r.mu.Unlock()
		// Lambda's answer to /init/error once init is over.
		writeError(w, http.StatusForbidden, "InvalidStateTransition", "init already finished")
		return
	}
	if r.initErr == nil {
		r.initErr = ferr
		close(r.initFailed)
	}
	r.mu.Unlock()
	writeAccepted(w)
}

// finish completes the in-flight invocation id, answering 400 if there is none.
func (r *Runtime) finish(w http.ResponseWriter, id string, payload []byte, ferr *FunctionError) bool {
	r.mu.Lock()
	inv := r.inflight[id]
	if inv != nil {
		r.finishLocked(inv, payload, ferr)
	}
	r.mu.Unlock()
	if inv == nil {
		writeError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation in flight with request ID "+strconv.Quote(id))
		return false
	}
	return true
}

// readBody reads up to MaxResponseSize bytes, reporting whether there was more.
func readBody(body io.Reader) ([]byte, bool, error) {
	b, err := io.ReadAll(io.LimitReader(body, MaxResponseSize+1))
	if err != nil {
		return nil, false, err
	}
	if len(b) > MaxResponseSize {
		return nil, true, nil
	}
	return b, false, nil
}

// parseFunctionError reads an error document. A body that is not one still
// counts: its text becomes the message and the header the type.
func parseFunctionError(body []byte, headerType string) (*FunctionError, []byte) {
	var ferr FunctionError
	if err := json.Unmarshal(body, &ferr); err == nil && (ferr.ErrorType != "" || ferr.ErrorMessage != "") {
		if ferr.ErrorType == "" {
			ferr.ErrorType = headerType
		}
		return &ferr, body
	}
	ferr = FunctionError{ErrorType: headerType, ErrorMessage: string(body)}
	if ferr.ErrorType == "" {
		ferr.ErrorType = "Runtime.Unknown"
	}
	return &ferr, marshalError(&ferr)
}

func trailerError(trailer http.Header) *FunctionError {
	if b, err := base64.StdEncoding.DecodeString(trailer.Get(trailerErrorBody)); err == nil {
		var ferr FunctionError
		if json.Unmarshal(b, &ferr) == nil && ferr.ErrorType != "" {
			return &ferr
		}
	}
	return &FunctionError{ErrorType: trailer.Get(trailerErrorType), ErrorMessage: "response stream failed"}
}

func failedResult(id string, ferr *FunctionError) Result {
	return Result{RequestID: id, Payload: marshalError(ferr), Error: ferr}
}

func marshalError(ferr *FunctionError) []byte {
	b, err := json.Marshal(ferr)
	if err != nil { // only a malformed StackTrace can get here
		b, _ = json.Marshal(FunctionError{ErrorType: ferr.ErrorType, ErrorMessage: ferr.ErrorMessage})
	}
	return b
}

func writeAccepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func writeError(w http.ResponseWriter, status int, errType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(marshalError(&FunctionError{ErrorType: errType, ErrorMessage: msg}))
}

// newRequestID returns a random UUID (version 4), the format Lambda uses.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// newTraceID returns an X-Ray trace header, not sampled so that no SDK tries
// to send segments anywhere.
func newTraceID(t time.Time) string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", t.Unix(), h[:24], h[24:40])
}
