package blackbox

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// The sample events must be what API Gateway's HTTP API really sends
// (payload format 2.0), or `sam local invoke -e` proves nothing.
func TestSampleEventsAreHTTPAPIv2Events(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(root, "events", "*.json"))
	if len(files) < 5 {
		t.Fatalf("only %d sample events", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			var ev events.APIGatewayV2HTTPRequest
			if err := dec.Decode(&ev); err != nil {
				t.Fatalf("not an APIGatewayV2HTTPRequest: %v", err)
			}
			http := ev.RequestContext.HTTP
			switch {
			case ev.Version != "2.0":
				t.Errorf("version %q", ev.Version)
			// /signup and /token are ANY routes (the function answers 405 itself).
			case (ev.RouteKey != http.Method+" "+ev.RawPath && ev.RouteKey != "ANY "+ev.RawPath) || ev.RequestContext.RouteKey != ev.RouteKey:
				t.Errorf("routeKey %q / %q does not match %s %s", ev.RouteKey, ev.RequestContext.RouteKey, http.Method, ev.RawPath)
			case http.Path != ev.RawPath || http.SourceIP == "" || ev.RequestContext.RequestID == "" || ev.RequestContext.Stage == "":
				t.Errorf("incomplete requestContext: %+v", ev.RequestContext)
			}
			for k := range ev.Headers {
				if k != strings.ToLower(k) {
					t.Errorf("header %q is not lower-case, as API Gateway sends them", k)
				}
			}
			if ev.IsBase64Encoded {
				if _, err := base64.StdEncoding.DecodeString(ev.Body); err != nil {
					t.Errorf("isBase64Encoded but the body is not base64")
				}
			}
		})
	}
}

// env.json feeds `sam local`; it must cover the functions and hold no secret.
func TestEnvJSONDeclaresTheFunctionsAndNoSecret(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(root, "env.json"))
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]map[string]string
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"SignupFunction": {"AUTH0_TOKEN_ISSUER", "AUTH0_CLIENT_ID", "AUTH0_CONNECTION"},
		"TokenFunction":  {"AUTH0_TOKEN_ISSUER", "AUTH0_CLIENT_ID", "AUTH0_CONNECTION", "AUTH0_TOKEN_AUDIENCE", "AUTH0_SCOPE", "AUTH0_CLIENT_SECRET_ARN", "AWS_ENDPOINT_URL_SECRETS_MANAGER"},
		"AccountFunction": {"AUTH0_TOKEN_ISSUER", "AUTH0_CLIENT_ID", "AUTH0_CONNECTION", "AUTH0_TOKEN_AUDIENCE",
			"AUTH0_CLIENT_SECRET_ARN", "AUTH0_MANAGEMENT_SECRET_ARN", "AWS_ENDPOINT_URL_SECRETS_MANAGER"},
	}
	for fn, vars := range want {
		for _, v := range vars {
			if _, ok := env[fn][v]; !ok {
				t.Errorf("env.json: %s lacks %s", fn, v)
			}
		}
		for k := range env[fn] {
			if strings.Contains(k, "SECRET") && !strings.HasSuffix(k, "_ARN") && !strings.HasPrefix(k, "AWS_ENDPOINT_URL") {
				t.Errorf("env.json: %s.%s looks like a secret value", fn, k)
			}
		}
	}
}
