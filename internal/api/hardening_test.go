package api

import (
	"encoding/base64"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
	"github.com/aws/aws-lambda-go/events"
)

// oddRequest is unusual input the contract accepts: it must reach Auth0
// exactly once, carrying the email and password unchanged.
type oddRequest struct {
	name     string
	password string
	// build makes the event for an email and a password.
	build func(email, password string) events.APIGatewayV2HTTPRequest
	// weak: the password fails auth0test's policy, so signup gets Auth0's
	// weak_password, still after one request.
	weak bool
}

func body(email, password, extra string) string {
	return `{"email":` + quote(email) + `,"password":` + quote(password) + extra + `}`
}

func plain(extra string) func(string, string) events.APIGatewayV2HTTPRequest {
	return func(e, p string) events.APIGatewayV2HTTPRequest { return jsonEvent(body(e, p, extra)) }
}

func oddButValidRequests() []oddRequest {
	deep := strings.Repeat("[", 7000) + strings.Repeat("]", 7000)
	return []oddRequest{
		{name: "password exactly 1024 bytes", password: strings.Repeat("Aa1-", 256), build: plain("")},
		{name: "password exactly 1024 bytes, multibyte", password: "Aa1!" + strings.Repeat("\u00e9", 510), build: plain("")},
		{name: "password of 1 byte", password: "x", build: plain(""), weak: true},
		{name: "password with control chars, spaces and emoji", password: "\tAa1 \u0007\U0001F600 \u202e ", build: plain("")},
		{name: "password of JSON-looking text", password: `{"password":"Aa1-"}\u0000`, build: plain("")},
		{name: "long string in an unknown field", password: goodPassword, build: plain(`,"note":"` + strings.Repeat("n", 15<<10) + `"`)},
		{name: "deeply nested unknown field", password: goodPassword, build: plain(`,"deep":` + deep)},
		{name: "huge numbers in unknown fields", password: goodPassword, build: plain(`,"a":1e999999,"b":` + strings.Repeat("9", 400) + `,"c":-0.0e-999`)},
		{name: "null, array and object unknown fields", password: goodPassword, build: plain(`,"x":null,"y":[null,{}],"z":{"email":"evil@example.com","password":"no"}`)},
		{name: "keys spelled with escapes", password: goodPassword, build: func(e, p string) events.APIGatewayV2HTTPRequest {
			return jsonEvent(`{"em\u0061il":` + quote(e) + `,"p\u0061ssword":` + quote(p) + `}`)
		}},
		{name: "values spelled with escapes", password: "Aa1-Aa1-\u00e9\U0001F600", build: func(e, p string) events.APIGatewayV2HTTPRequest {
			return jsonEvent(`{"email":"` + strings.Replace(e, "@", `\u0040`, 1) + `","password":"Aa1-Aa1-\u00e9\ud83d\ude00"}`)
		}},
		{name: "whitespace around and between tokens", password: goodPassword, build: func(e, p string) events.APIGatewayV2HTTPRequest {
			return jsonEvent(" \r\n\t{ \"email\" :\n" + quote(e) + " ,\t\"password\"\r\n: " + quote(p) + " }\n\n")
		}},
		{name: "no content type", password: goodPassword, build: func(e, p string) events.APIGatewayV2HTTPRequest {
			return event("POST", "", body(e, p, ""))
		}},
		{name: "content type with parameters and odd case", password: goodPassword, build: func(e, p string) events.APIGatewayV2HTTPRequest {
			ev := event("POST", "", body(e, p, ""))
			ev.Headers = map[string]string{"Content-TYPE": `Application/JSON ; charset="UTF-8"`}
			return ev
		}},
		{name: "base64 body", password: goodPassword, build: func(e, p string) events.APIGatewayV2HTTPRequest {
			ev := jsonEvent(base64.StdEncoding.EncodeToString([]byte(body(e, p, ""))))
			ev.IsBase64Encoded = true
			return ev
		}},
		{name: "event decoded from JSON without sourceIp", password: goodPassword, build: func(e, p string) events.APIGatewayV2HTTPRequest {
			return decodedEvent(`{"requestContext":{"http":{"method":"POST"}},"body":` + quote(body(e, p, "")) + `}`)
		}},
	}
}

// TestOddButValidInputReachesAuth0 is the other half of the bad-input
// corpus: input at the limits, or merely unusual, is accepted by both
// handlers and reaches Auth0 once, unchanged.
func TestOddButValidInputReachesAuth0(t *testing.T) {
	emails := []string{
		"jane@example.com",
		strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 57) + ".com",
		"o'brien+tag!#$%&*/=?^_`{|}~-x@sub-1.example.co.uk",
	}
	for _, c := range oddButValidRequests() {
		for i, e := range emails {
			if i > 0 && c.name != "password exactly 1024 bytes" {
				continue // the unusual emails once, with the longest password
			}
			name := c.name
			if i > 0 {
				name += ", email " + e[:8] + "..."
			}
			t.Run("signup/"+name, func(t *testing.T) {
				a := newTestAPI(t, auth0test.Config{})
				resp, body := a.call(a.signup, c.build(e, c.password))
				if c.weak {
					wantError(t, resp, body, 400, "weak_password")
				} else if resp.StatusCode != http.StatusCreated {
					t.Fatalf("got %d %v", resp.StatusCode, body)
				}
				reqs := a.srv.Requests()
				if len(reqs) != 1 || reqs[0].JSON["email"] != e || reqs[0].JSON["password"] != auth0test.Redacted(c.password) {
					t.Fatalf("Auth0 got %d requests; first carries email %q and a password of %d bytes, want %q and %d",
						len(reqs), reqs[0].JSON["email"], len(reqs[0].JSON["password"].(string)), e, len(c.password))
				}
			})
			t.Run("token/"+name, func(t *testing.T) {
				a := newTestAPI(t, auth0test.Config{})
				a.srv.AddUser(e, c.password)
				resp, body := a.call(a.token, c.build(e, c.password))
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("got %d %v", resp.StatusCode, body)
				}
				reqs := a.srv.Requests()
				if len(reqs) != 1 || reqs[0].Form.Get("username") != e || reqs[0].Form.Get("password") != auth0test.Redacted(c.password) {
					t.Fatalf("Auth0 got %d requests; want 1 with the email and password unchanged", len(reqs))
				}
			})
		}
	}
}

// TestForwardedForIsTheNormalisedSourceIP: every token request carries the
// caller's address in auth0-forwarded-for, in canonical form, or, when API
// Gateway's sourceIp is missing or not an address, no such header at all:
// never garbage, never an empty value.
func TestForwardedForIsTheNormalisedSourceIP(t *testing.T) {
	cases := []struct{ sourceIP, want string }{
		{"203.0.113.10", "203.0.113.10"},
		{"2001:db8::1", "2001:db8::1"},
		{"2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
		{"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
		{"::ffff:203.0.113.9", "203.0.113.9"},
		{"::1", "::1"},
		{"fe80::1", "fe80::1"},
		{"", ""},
		{"not-an-ip", ""},
		{"203.0.113.10, 198.51.100.1", ""},
		{"203.0.113.10:443", ""},
		{"[2001:db8::1]", ""},
		{"[2001:db8::1]:443", ""},
		{"fe80::1%eth0", ""},
		{" 203.0.113.10", ""},
		{"203.0.113.10\r\nX-Evil: 1", ""},
		{"999.0.113.10", ""},
		{"203.0.113", ""},
		{"0x7f.0.0.1", ""},
		{"<script>alert(1)</script>", ""},
		{strings.Repeat("1", 4096), ""},
	}
	a := newTestAPI(t, auth0test.Config{})
	a.srv.AddUser(email, goodPassword)
	for _, c := range cases {
		t.Run(c.sourceIP, func(t *testing.T) {
			a.t = t
			a.srv.ResetRequests()
			ev := creds(email, goodPassword)
			ev.RequestContext.HTTP.SourceIP = c.sourceIP
			if resp, body := a.call(a.token, ev); resp.StatusCode != http.StatusOK {
				t.Fatalf("got %d %v", resp.StatusCode, body)
			}
			reqs := a.srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			got := reqs[0].Header.Values("Auth0-Forwarded-For")
			switch {
			case c.want == "" && len(got) != 0:
				t.Fatalf("auth0-forwarded-for %q for sourceIp %q, want no header", got, c.sourceIP)
			case c.want != "" && (len(got) != 1 || got[0] != c.want):
				t.Fatalf("auth0-forwarded-for %q, want %q", got, c.want)
			}
		})
	}
	// Signup is not a login: brute-force protection does not apply, and
	// the header is not sent.
	a.t = t
	a.srv.ResetRequests()
	a.call(a.signup, creds("someone.new@example.com", goodPassword))
	if v := a.srv.Requests()[0].Header.Values("Auth0-Forwarded-For"); len(v) != 0 {
		t.Fatalf("signup sent auth0-forwarded-for %q", v)
	}
}

// TestBruteForceIsPerCallerIPv6: Auth0 counts failures per user and
// forwarded address; an IPv6 caller is blocked by its own failures, however
// its address is spelled, and another caller is not.
func TestBruteForceIsPerCallerIPv6(t *testing.T) {
	a := newTestAPI(t, auth0test.Config{MaxFailedLogins: 3})
	a.srv.AddUser(email, goodPassword)
	from := func(ip, password string) events.APIGatewayV2HTTPRequest {
		ev := creds(email, password)
		ev.RequestContext.HTTP.SourceIP = ip
		return ev
	}
	for range 3 {
		resp, body := a.call(a.token, from("2001:db8::bad", "Wrong-Horse-43"))
		wantError(t, resp, body, 401, "invalid_credentials")
	}
	resp, body := a.call(a.token, from("2001:0db8:0000::0BAD", goodPassword))
	wantError(t, resp, body, 429, "too_many_attempts")
	if resp, body := a.call(a.token, from("2001:db8::600d", goodPassword)); resp.StatusCode != http.StatusOK {
		t.Fatalf("another IPv6 caller: %d %v", resp.StatusCode, body)
	}
}

// TestLoginFailuresRevealNothingAboutTheUser: status, body and every header
// are identical for a wrong password and an unknown user, before and after
// brute-force protection steps in.
func TestLoginFailuresRevealNothingAboutTheUser(t *testing.T) {
	a := newTestAPI(t, auth0test.Config{MaxFailedLogins: 2})
	a.srv.AddUser(email, goodPassword)
	a.srv.AddUser("other.user@example.com", goodPassword)
	attempt := func(who, password string) events.APIGatewayV2HTTPResponse {
		resp, _ := a.call(a.token, creds(who, password))
		return resp
	}
	same := func(stage string, x, y events.APIGatewayV2HTTPResponse) {
		t.Helper()
		if x.StatusCode != y.StatusCode || x.Body != y.Body || !maps.Equal(x.Headers, y.Headers) ||
			!maps.EqualFunc(x.MultiValueHeaders, y.MultiValueHeaders, func(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }) ||
			x.IsBase64Encoded != y.IsBase64Encoded || len(x.Cookies) != 0 || len(y.Cookies) != 0 {
			t.Fatalf("%s: existing user: %d %v %s\nunknown user: %d %v %s", stage,
				x.StatusCode, x.Headers, x.Body, y.StatusCode, y.Headers, y.Body)
		}
	}
	for i := range 2 {
		known := attempt(email, "Wrong-Horse-43")
		unknown := attempt("nobody@example.com", "Wrong-Horse-43")
		wrongCase := attempt("OTHER.USER@example.com", "Wrong-Horse-43")
		same("failure", known, unknown)
		same("failure, other spelling", known, wrongCase)
		if known.StatusCode != 401 {
			t.Fatalf("attempt %d: %d", i, known.StatusCode)
		}
	}
	known := attempt(email, goodPassword) // right password, but blocked now
	unknown := attempt("nobody@example.com", goodPassword)
	same("blocked", known, unknown)
	if known.StatusCode != 429 {
		t.Fatalf("after the threshold: %d, want 429", known.StatusCode)
	}
}
