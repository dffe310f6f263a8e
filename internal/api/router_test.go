package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestRouter(t *testing.T) {
	ok := func(status int) Handler {
		return func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
			return events.APIGatewayV2HTTPResponse{StatusCode: status}, nil
		}
	}
	h := NewRouter(NewLogger(io.Discard),
		Route{Method: "POST", Path: "/token", Handler: ok(200)},
		Route{Method: "GET", Path: "/mfa/authenticators", Handler: ok(201)},
		Route{Method: "POST", Path: "/mfa/authenticators", Handler: ok(202)},
	)
	cases := []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"POST", "/token", 200, "", ""},
		{"GET", "/mfa/authenticators", 201, "", ""},
		{"POST", "/mfa/authenticators", 202, "", ""},
		{"post", "/token", 405, "method_not_allowed", "POST"},
		{"GET", "/token", 405, "method_not_allowed", "POST"},
		{"DELETE", "/mfa/authenticators", 405, "method_not_allowed", "GET, POST"},
		{"POST", "/token/", 404, "not_found", ""},
		{"POST", "/nope", 404, "not_found", ""},
		{"POST", "", 404, "not_found", ""},
		{"OPTIONS", "/token", 204, "", "POST"},
		{"OPTIONS", "/mfa/authenticators", 204, "", "GET, POST"},
		{"OPTIONS", "/nope", 404, "not_found", ""},
	}
	for _, c := range cases {
		var ev events.APIGatewayV2HTTPRequest
		ev.RequestContext.HTTP.Method, ev.RequestContext.HTTP.Path = c.method, c.path
		resp, err := h(context.Background(), ev)
		if err != nil || resp.StatusCode != c.status {
			t.Fatalf("%s %s: %d %v, want %d", c.method, c.path, resp.StatusCode, err, c.status)
		}
		if c.code == "" {
			if resp.Headers["Allow"] != c.allow {
				t.Fatalf("%s %s: Allow %q, want %q", c.method, c.path, resp.Headers["Allow"], c.allow)
			}
			continue
		}
		body := decodeError(t, resp)
		if body.Code != c.code || body.Error != http.StatusText(c.status) || resp.Headers["Allow"] != c.allow ||
			resp.Headers["Cache-Control"] != "no-store" {
			t.Fatalf("%s %s: %v %+v", c.method, c.path, resp.Headers, body)
		}
	}
}

func decodeError(t *testing.T, resp events.APIGatewayV2HTTPResponse) ErrorBody {
	t.Helper()
	var b ErrorBody
	if err := json.Unmarshal([]byte(resp.Body), &b); err != nil {
		t.Fatalf("not a JSON error: %q", resp.Body)
	}
	return b
}
