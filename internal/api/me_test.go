package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
	"github.com/aws/aws-lambda-go/events"
)

// meEvent is GET /me as API Gateway delivers it after its JWT authorizer
// accepted the token: the header still there, and every claim a string.
func meEvent(token string, claims map[string]string) events.APIGatewayV2HTTPRequest {
	raw, _ := json.Marshal(map[string]any{
		"version": "2.0", "routeKey": "GET /me", "rawPath": "/me", "rawQueryString": "",
		"headers": map[string]string{"authorization": "Bearer " + token, "host": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"},
		"requestContext": map[string]any{
			"accountId": "123456789012", "apiId": "a1b2c3d4e5", "requestId": "Yx1cHhLPoAMEbQw=",
			"routeKey": "GET /me", "stage": "$default", "timeEpoch": 1773134245000,
			"authorizer": map[string]any{"jwt": map[string]any{"claims": claims, "scopes": nil}},
			"http":       map[string]any{"method": "GET", "path": "/me", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.10", "userAgent": "curl/8.5.0"},
		},
		"isBase64Encoded": false,
	})
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		panic(err)
	}
	return ev
}

// asGateway renders decoded JWT claims the way the HTTP API JWT authorizer
// does: numbers in decimal, arrays as "[a b]".
func asGateway(claims map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range claims {
		switch x := v.(type) {
		case string:
			out[k] = x
		case float64:
			out[k] = strconv.FormatInt(int64(x), 10)
		case []any:
			parts := make([]string, len(x))
			for i, p := range x {
				parts[i] = p.(string)
			}
			out[k] = "[" + strings.Join(parts, " ") + "]"
		}
	}
	return out
}

func TestMeDescribesTheTokenOfASignedUpUser(t *testing.T) {
	a := newTestAPI(t, auth0test.Config{})
	me := NewMeHandler(NewLogger(a.logs))
	_, signup := a.call(a.signup, creds(email, goodPassword))
	_, tok := a.call(a.token, creds(email, goodPassword))
	token := tok["data"].(string)
	claims := jwtClaims(t, token)

	resp, body := a.call(me, meEvent(token, asGateway(claims)))
	if resp.StatusCode != http.StatusOK || resp.Headers["Cache-Control"] != "no-store" {
		t.Fatalf("got %d %v %v", resp.StatusCode, resp.Headers, body)
	}
	if body["user_id"] != signup["user_id"] || body["expires_at"] != claims["exp"] {
		t.Fatalf("body %v; want user %v exp %v", body, signup["user_id"], claims["exp"])
	}
	if scope, _ := body["scope"].([]any); !slices.Equal(scope, []any{"openid"}) {
		t.Fatalf("scope %v", body["scope"])
	}
	line := lastLogLine(t, a.logs)
	if line["route"] != "GET /me" || line["status"] != float64(200) || line["level"] != "INFO" {
		t.Fatalf("log line %v", line)
	}
	if _, ok := line["duration_ms"].(float64); !ok {
		t.Fatalf("log line without duration_ms: %v", line)
	}
}

func TestMeSplitsScopesAndReadsTheSampleEvent(t *testing.T) {
	raw, err := os.ReadFile("../../events/me.json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var ev events.APIGatewayV2HTTPRequest
	if err := dec.Decode(&ev); err != nil {
		t.Fatal(err)
	}
	a := &testAPI{t: t, logs: &syncBuffer{}}
	recordLogs(t, a.logs)
	resp, body := a.call(NewMeHandler(NewLogger(a.logs)), ev)
	want := `{"user_id":"auth0|65f1c0ffee0123456789abcd","scope":["openid","profile","email"],"expires_at":1773220500}`
	if resp.StatusCode != http.StatusOK || resp.Body != want {
		t.Fatalf("got %d %s (%v)", resp.StatusCode, resp.Body, body)
	}
}

func TestMeWithoutScopeAnswersAnEmptyList(t *testing.T) {
	a := &testAPI{t: t, logs: &syncBuffer{}}
	recordLogs(t, a.logs)
	resp, _ := a.call(NewMeHandler(NewLogger(a.logs)), meEvent("x", map[string]string{"sub": "auth0|abc", "exp": "1773220500"}))
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, `"scope":[]`) {
		t.Fatalf("got %d %s", resp.StatusCode, resp.Body)
	}
}

// Defence in depth: deployed without the authorizer, the route must refuse
// rather than answer for whoever asks.
func TestMeRefusesWithoutAuthorizerClaims(t *testing.T) {
	noJWT := meEvent("x", nil)
	noJWT.RequestContext.Authorizer.JWT = nil
	noAuthorizer := meEvent("x", nil)
	noAuthorizer.RequestContext.Authorizer = nil
	cases := map[string]events.APIGatewayV2HTTPRequest{
		"no authorizer":  noAuthorizer,
		"no jwt":         noJWT,
		"no claims":      meEvent("x", nil),
		"no sub":         meEvent("x", map[string]string{"exp": "1773220500"}),
		"no exp":         meEvent("x", map[string]string{"sub": "auth0|abc"}),
		"exp not a date": meEvent("x", map[string]string{"sub": "auth0|abc", "exp": "soon"}),
	}
	for name, ev := range cases {
		t.Run(name, func(t *testing.T) {
			a := &testAPI{t: t, logs: &syncBuffer{}}
			recordLogs(t, a.logs)
			resp, body := a.call(NewMeHandler(NewLogger(a.logs)), ev)
			wantError(t, resp, body, http.StatusUnauthorized, "invalid_token")
			if resp.Headers["WWW-Authenticate"] != `Bearer error="invalid_token"` {
				t.Errorf("WWW-Authenticate = %q", resp.Headers["WWW-Authenticate"])
			}
			if line := lastLogLine(t, a.logs); line["code"] != "invalid_token" || line["level"] != "WARN" || line["status"] != float64(401) {
				t.Errorf("log line %v", line)
			}
		})
	}
}

func TestMeAcceptsAFractionalExp(t *testing.T) {
	a := &testAPI{t: t, logs: &syncBuffer{}}
	recordLogs(t, a.logs)
	_, body := a.call(NewMeHandler(NewLogger(a.logs)), meEvent("x", map[string]string{"sub": "auth0|abc", "exp": "1773220500.5"}))
	if body["expires_at"] != float64(1773220500) {
		t.Fatalf("body %v", body)
	}
}

func TestMeLogsOneLinePerRequest(t *testing.T) {
	a := &testAPI{t: t, logs: &syncBuffer{}}
	recordLogs(t, a.logs)
	me := NewMeHandler(NewLogger(a.logs))
	for range 3 {
		me(context.Background(), meEvent("x", map[string]string{"sub": "auth0|abc", "exp": "1773220500"}))
	}
	if n := strings.Count(strings.TrimSpace(a.logs.String()), "\n") + 1; n != 3 {
		t.Fatalf("%d log lines for 3 requests:\n%s", n, a.logs.String())
	}
}

func lastLogLine(t *testing.T, logs *syncBuffer) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		t.Fatalf("log line %q: %v", lines[len(lines)-1], err)
	}
	return m
}
