package main

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

func TestRouteBuildsTheEventAPIGatewaySends(t *testing.T) {
	var got events.APIGatewayV2HTTPRequest
	var deadlineLeft time.Duration
	var reqID string
	h := func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		got = ev
		d, _ := ctx.Deadline()
		deadlineLeft = time.Until(d)
		lc, _ := lambdacontext.FromContext(ctx)
		reqID = lc.AwsRequestID
		return events.APIGatewayV2HTTPResponse{StatusCode: 201, Headers: map[string]string{"Content-Type": "application/json", "X-A": "1"}, Body: `{"ok":true}`}, nil
	}
	srv := httptest.NewServer(route("POST /signup", h))
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL+"/signup?x=1", strings.NewReader(`{"email":"a@b.co"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Multi", "a")
	req.Header.Add("X-Multi", "b")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	if resp.StatusCode != 201 || string(body) != `{"ok":true}` || resp.Header.Get("X-A") != "1" {
		t.Fatalf("response %d %q %v", resp.StatusCode, body, resp.Header)
	}
	checks := map[string][2]string{
		"version":     {got.Version, "2.0"},
		"routeKey":    {got.RouteKey, "POST /signup"},
		"rawPath":     {got.RawPath, "/signup"},
		"query":       {got.RawQueryString, "x=1"},
		"method":      {got.RequestContext.HTTP.Method, "POST"},
		"sourceIp":    {got.RequestContext.HTTP.SourceIP, "127.0.0.1"},
		"contentType": {got.Headers["content-type"], "application/json"},
		"multi":       {got.Headers["x-multi"], "a,b"},
		"body":        {got.Body, `{"email":"a@b.co"}`},
		"stage":       {got.RequestContext.Stage, "$default"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}
	if got.IsBase64Encoded || got.RequestContext.RequestID == "" || reqID != got.RequestContext.RequestID {
		t.Errorf("base64 %v, request id %q / %q", got.IsBase64Encoded, got.RequestContext.RequestID, reqID)
	}
	if deadlineLeft <= 0 || deadlineLeft > lambdaTimeout {
		t.Errorf("deadline %v, want within the Lambda timeout", deadlineLeft)
	}
}

func TestRouteBase64EncodesBinaryBodies(t *testing.T) {
	var got events.APIGatewayV2HTTPRequest
	h := func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		got = ev
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: base64.StdEncoding.EncodeToString([]byte{0xff, 0}), IsBase64Encoded: true}, nil
	}
	srv := httptest.NewServer(route("POST /token", h))
	defer srv.Close()
	resp, err := http.Post(srv.URL, "application/octet-stream", strings.NewReader("\xff\xfe\x00"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !got.IsBase64Encoded || got.Body != base64.StdEncoding.EncodeToString([]byte("\xff\xfe\x00")) {
		t.Fatalf("event body %q base64=%v", got.Body, got.IsBase64Encoded)
	}
	if string(body) != "\xff\x00" {
		t.Fatalf("response body %q, want decoded bytes", body)
	}
}
