package auth0

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Values a hostile upstream gets and echoes: each has characters that form
// and JSON encoding spell differently.
const (
	echoSecret   = `s3cret/+&"<value>=é`
	echoPassword = `Pa$$ w0rd+"é<&>\42`
	echoEmail    = "jane+tag@example.com"
	echoIP       = "203.0.113.77"
)

// spellings are the ways a request value may come back in an echo.
func spellings(v string) []string {
	quoted, _ := json.Marshal(v)
	return []string{v, url.QueryEscape(v), string(quoted[1 : len(quoted)-1]), jsonText(v)}
}

// echo renders a request as a hostile upstream would quote it: the body,
// then every header; and the body alone.
func echo(r *http.Request) (full, body string) {
	data, _ := io.ReadAll(r.Body)
	var b strings.Builder
	b.WriteString("you sent " + string(data))
	for k, vs := range r.Header {
		b.WriteString(" " + k + ": " + strings.Join(vs, ","))
	}
	return b.String(), string(data)
}

// TestEchoedRequestNeverReachesTheError: whatever field of an error answer
// an upstream echoes the request into, and whatever the status, the *Error
// keeps none of the secret, password, email or forwarded address, in any
// spelling, and stays small; what is left of the text is still there.
func TestEchoedRequestNeverReachesTheError(t *testing.T) {
	shapes := map[string]func(full, body string) any{
		"oauth description": func(s, _ string) any { return map[string]string{"error": "invalid_grant", "error_description": s} },
		// An error without spaces is read as Auth0's code: a form body is one.
		"oauth error": func(s, body string) any { return map[string]string{"error": s, "error_description": body} },
		"oauth code":  func(_, body string) any { return map[string]string{"error": body} },
		"dbconnections": func(s, body string) any {
			return map[string]string{"name": body, "code": body, "description": s, "policy": s}
		},
	}
	for name, shape := range shapes {
		for _, status := range []int{400, 401, 403, 409, 429, 500, 503} {
			t.Run(fmt.Sprintf("%s/%d", name, status), func(t *testing.T) {
				c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(status)
					json.NewEncoder(w).Encode(shape(echo(r)))
				})
				_, serr := c.Signup(context.Background(), echoEmail, echoPassword)
				_, terr := c.Token(context.Background(), TokenRequest{Username: echoEmail, Password: echoPassword,
					ClientSecret: echoSecret, ClientIP: echoIP})
				for _, err := range []error{serr, terr} {
					var e *Error
					if !errors.As(err, &e) {
						t.Fatalf("err = %v", err)
					}
					checkNoRequestValues(t, e)
				}
			})
		}
	}
}

func checkNoRequestValues(t *testing.T, e *Error) {
	t.Helper()
	texts := append([]string{e.Error(), e.Code, e.Name, e.Description, e.Policy, e.Hint()}, e.UnmetRules()...)
	for _, text := range texts {
		for _, v := range []string{echoSecret, echoPassword, echoEmail, echoIP} {
			for _, s := range spellings(v) {
				if strings.Contains(text, s) {
					t.Fatalf("%q of the request is in %q", s, text)
				}
			}
		}
	}
	if len(e.Description) > maxDescription || len(e.Code) > maxCode || len(e.Name) > maxCode || len(e.Error()) > 1024 {
		t.Fatalf("kept %d, %d, %d bytes; error text %d", len(e.Description), len(e.Code), len(e.Name), len(e.Error()))
	}
	if strings.HasPrefix(e.Description, "you sent") && !strings.Contains(e.Description, redacted) {
		t.Fatalf("description %q: nothing removed", e.Description)
	}
}

// TestSettingsStayInDescriptions: the deployment's own settings (the
// audience, the connection) are not the caller's data and stay readable.
func TestSettingsStayInDescriptions(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(403)
		w.Write([]byte(`{"error":"access_denied","error_description":"Service not found: https://api"}`))
	})
	_, err := c.Token(context.Background(), TokenRequest{Username: echoEmail, Password: echoPassword, ClientSecret: echoSecret})
	var e *Error
	if !errors.As(err, &e) || e.Description != "Service not found: https://api" || e.Kind != KindMisconfigured {
		t.Fatalf("err = %v", err)
	}
}

// TestEchoedRequestInATransportError: an upstream that answers with the
// request itself gives a malformed-response error, in which net/http quotes
// the answer, cut anywhere: no part of the request may survive in it.
func TestEchoedRequestInATransportError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			if req, err := http.ReadRequest(bufio.NewReader(conn)); err == nil {
				body, _ := io.ReadAll(req.Body)
				conn.Write([]byte(string(body) + "\r\n\r\n"))
			}
			conn.Close()
		}
	}()
	c := NewClient(Config{BaseURL: "http://" + ln.Addr().String(), ClientID: "cid", Audience: "https://api", Connection: "db", Scope: "openid"}, nil)
	c.retryDelay = func() time.Duration { return time.Millisecond }
	_, serr := c.Signup(context.Background(), echoEmail, echoPassword)
	_, terr := c.Token(context.Background(), TokenRequest{Username: echoEmail, Password: echoPassword, ClientSecret: echoSecret})
	for _, err := range []error{serr, terr} {
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindUpstream || e.Err == nil {
			t.Fatalf("err = %v", err)
		}
		if !strings.Contains(e.Error(), "malformed HTTP") {
			t.Fatalf("not the error this test is about: %v", e)
		}
		checkNoRequestValues(t, e)
		if strings.Contains(e.Error(), "w0rd") || strings.Contains(e.Error(), "audience=") {
			t.Fatalf("a piece of the request is in %q", e.Error())
		}
	}
}

// TestRedirectIsUpstreamError: a redirect is not Auth0's answer, whatever
// its body says; it never becomes a verdict on the credentials.
func TestRedirectIsUpstreamError(t *testing.T) {
	for _, status := range []int{301, 302, 303, 307, 308} {
		c, calls := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", "https://elsewhere.example/")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			w.Write([]byte(`{"error":"invalid_grant","error_description":"Wrong email or password.","code":"user_exists"}`))
		})
		_, serr := c.Signup(context.Background(), "a@b.co", "pw")
		_, terr := c.Token(context.Background(), TokenRequest{Username: "a@b.co", Password: "pw"})
		for _, err := range []error{serr, terr} {
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindUpstream || e.Status != status || e.Code != "" {
				t.Fatalf("%d: err = %v, want upstream with no code", status, err)
			}
		}
		if n := calls.Load(); n != 3 { // signup once; token once and its one retry
			t.Fatalf("%d: %d requests", status, n)
		}
	}
}
