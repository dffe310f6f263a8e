// Command echo is a small Lambda function for testing lambdatest against the
// real aws-lambda-go runtime loop. The event's fields say what to do.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"log"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type request struct {
	Error string   `json:"error"` // return errors.New(Error)
	Panic string   `json:"panic"` // panic(Panic)
	Hang  bool     `json:"hang"`  // block, ignoring the deadline
	Exit  int      `json:"exit"`  // os.Exit(Exit) mid-invocation
	Log   string   `json:"log"`   // write this line to stderr
	Env   []string `json:"env"`   // report these environment variables
	Big   int      `json:"big"`   // add a string of this many bytes
}

type response struct {
	Payload      json.RawMessage    `json:"payload"`
	RequestID    string             `json:"requestId"`
	FunctionARN  string             `json:"functionArn"`
	FunctionName string             `json:"functionName"`
	TraceID      string             `json:"traceId"`
	RemainingMS  int64              `json:"remainingMs"`
	Invocation   int64              `json:"invocation"` // count within this process
	PID          int                `json:"pid"`
	Env          map[string]*string `json:"env,omitempty"` // null when unset
	Big          string             `json:"big,omitempty"`
}

var invocations atomic.Int64

func handle(ctx context.Context, raw json.RawMessage) (*response, error) {
	var req request
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, err
	}
	if req.Log != "" {
		log.Print(req.Log)
	}
	switch {
	case req.Error != "":
		return nil, errors.New(req.Error)
	case req.Panic != "":
		panic(req.Panic)
	case req.Hang:
		time.Sleep(time.Hour) // a timer, so the runtime sees no deadlock
	case req.Exit != 0:
		os.Exit(req.Exit)
	}
	resp := &response{
		Payload:      raw,
		Invocation:   invocations.Add(1),
		PID:          os.Getpid(),
		FunctionName: lambdacontext.FunctionName,
		TraceID:      os.Getenv("_X_AMZN_TRACE_ID"),
		Big:          strings.Repeat("x", req.Big),
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		resp.RequestID, resp.FunctionARN = lc.AwsRequestID, lc.InvokedFunctionArn
	}
	if d, ok := ctx.Deadline(); ok {
		resp.RemainingMS = time.Until(d).Milliseconds()
	}
	if len(req.Env) > 0 {
		resp.Env = make(map[string]*string)
		for _, k := range req.Env {
			if v, ok := os.LookupEnv(k); ok {
				resp.Env[k] = &v
			} else {
				resp.Env[k] = nil
			}
		}
	}
	return resp, nil
}

func main() {
	switch os.Getenv("ECHO_INIT_FAIL") {
	case "1":
		// What a Go function does when init fails: lambda.Start has no way
		// to report it, so the process exits before its first /next.
		log.Fatal("echo: init failed on purpose")
	case "post":
		postInitError()
		os.Exit(1)
	}
	if d, err := time.ParseDuration(os.Getenv("ECHO_INIT_SLEEP")); err == nil {
		time.Sleep(d)
	}
	log.Print("echo: init done")
	lambda.Start(handle)
}

// postInitError reports an init failure the way the Runtime API allows,
// which aws-lambda-go itself never does.
func postInitError() {
	body := strings.NewReader(`{"errorMessage":"init failed on purpose","errorType":"EchoInitError"}`)
	url := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/init/error"
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Lambda-Runtime-Function-Error-Type", "Runtime.EchoInitError")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	log.Printf("echo: posted init error: %s", resp.Status)
}
