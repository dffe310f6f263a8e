package api

import (
	"encoding/base64"
	"errors"
	"maps"
	"net/http"
	"strings"
	"testing"
)

func TestDecodeCredentialsRefusesBadInput(t *testing.T) {
	cases := badRequests()
	if len(cases) < 60 {
		t.Fatalf("corpus has %d cases, want at least 60", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeCredentials(&c.ev)
			var re *RequestError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want *RequestError", err)
			}
			if re.Status != c.status || re.Code != c.code {
				t.Fatalf("got %d %s (%s), want %d %s", re.Status, re.Code, re.Message, c.status, c.code)
			}
			if re.Message == "" {
				t.Fatal("no message")
			}
		})
	}
}

func TestDecodeCredentialsAccepts(t *testing.T) {
	cases := []struct {
		name, contentType, body string
		base64                  bool
		want                    Credentials
	}{
		{"plain", "application/json", withPassword("Correct-Horse-42"), false, Credentials{"jane@example.com", "Correct-Horse-42"}},
		{"no content type", "", withPassword("pw"), false, Credentials{"jane@example.com", "pw"}},
		{"charset", "application/json; charset=utf-8", withPassword("pw"), false, Credentials{"jane@example.com", "pw"}},
		{"other charset and case", "Application/JSON; Charset=UTF-8", withPassword("pw"), false, Credentials{"jane@example.com", "pw"}},
		{"unknown fields ignored", "application/json", `{"name":"Jane","email":"jane@example.com","password":"pw","extra":{"a":[1,2]}}`, false, Credentials{"jane@example.com", "pw"}},
		{"base64", "application/json", base64.StdEncoding.EncodeToString([]byte(withPassword("pw"))), true, Credentials{"jane@example.com", "pw"}},
		{"escaped unicode password", "application/json", `{"email":"jane@example.com","password":"p\u00e9\ud83d\ude00"}`, false, Credentials{"jane@example.com", "p\u00e9\U0001F600"}},
		{"escaped backslash before ud800", "application/json", `{"email":"jane@example.com","password":"a\\ud800"}`, false, Credentials{"jane@example.com", `a\ud800`}},
		{"password exactly 1024 bytes", "application/json", withPassword(strings.Repeat("p", 1024)), false, Credentials{"jane@example.com", strings.Repeat("p", 1024)}},
		{"password with spaces kept", "application/json", withPassword("  two words  "), false, Credentials{"jane@example.com", "  two words  "}},
		{"plus and subdomain", "application/json", withEmail("jane.doe+tag@mail.example.co.uk"), false, Credentials{"jane.doe+tag@mail.example.co.uk", "Correct-Horse-42"}},
		{"punycode domain", "application/json", withEmail("jane@xn--exmple-cua.com"), false, Credentials{"jane@xn--exmple-cua.com", "Correct-Horse-42"}},
		{"email 254 chars", "application/json", withEmail(strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 57) + ".com"), false, Credentials{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 57) + ".com", "Correct-Horse-42"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := event("POST", c.contentType, c.body)
			ev.IsBase64Encoded = c.base64
			got, err := DecodeCredentials(&ev)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestDecodeCredentialsHeaderCase(t *testing.T) {
	ev := event("POST", "", withPassword("pw"))
	ev.Headers = map[string]string{"Content-Type": "text/plain"}
	_, err := DecodeCredentials(&ev)
	var re *RequestError
	if !errors.As(err, &re) || re.Code != "unsupported_media_type" {
		t.Fatalf("mixed-case Content-Type header was not read: %v", err)
	}
}

// HTTP methods are case-sensitive (RFC 9110 9.1): "post" is not POST.
func TestDecodeCredentialsMethodIsCaseSensitive(t *testing.T) {
	ev := event("post", "application/json", withPassword("pw"))
	_, err := DecodeCredentials(&ev)
	if o := OutcomeOf(err); o.Status != http.StatusMethodNotAllowed || o.Allow != http.MethodPost {
		t.Fatalf("post: %+v", o)
	}
}

func TestMaskEmail(t *testing.T) {
	for in, want := range map[string]string{
		"jane.doe@example.com": "j***@example.com",
		"j@x.io":               "j***@x.io",
		"no-at-sign":           "***",
		"":                     "***",
	} {
		if got := MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

// The body decoder reads forms too, for routes that take them, with the
// same rules as JSON.
func TestDecodeBodyForms(t *testing.T) {
	spec := bodySpec{names: []string{"email", "password"}, form: true, example: "{}"}
	const form = "application/x-www-form-urlencoded"
	ok := []struct {
		name, contentType, body string
		want                    fields
	}{
		{"form", form, "email=jane%40example.com&password=p%C3%A9+x&other=1&other=2", fields{"email": "jane@example.com", "password": "pé x"}},
		{"form with charset", form + "; charset=UTF-8", "password=&email=a", fields{"email": "a", "password": ""}},
		{"form with a field missing", form, "email=a", fields{"email": "a"}},
		{"json still", "application/json", `{"email":"a","x":{"password":1}}`, fields{"email": "a"}},
	}
	for _, c := range ok {
		t.Run(c.name, func(t *testing.T) {
			ev := event("POST", c.contentType, c.body)
			got, err := decodeBody(&ev, spec)
			if err != nil || !maps.Equal(got, c.want) {
				t.Fatalf("got %v, %v; want %v", got, err, c.want)
			}
		})
	}
	bad := []struct{ name, contentType, body, msg string }{
		{"duplicate", form, "email=a&password=x&email=b", "email: given more than once"},
		{"duplicate, one empty", form, "password=x&password", "password: given more than once"},
		{"bad escape", form, "email=a%zz&password=x", "not a valid form"},
		{"semicolon", form, "email=a;password=x", "not a valid form"},
		{"escaped invalid UTF-8", form, "email=a&password=%ff", "password: is not valid UTF-8"},
		{"escaped surrogate", form, "email=a&password=%ed%a0%80", "password: is not valid UTF-8"},
		{"raw invalid UTF-8", form, "email=a&password=\xff", "not valid UTF-8"},
		{"empty", form, "", "the body is empty"},
		{"other type", "text/plain", "email=a", "application/json or application/x-www-form-urlencoded"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			ev := event("POST", c.contentType, c.body)
			_, err := decodeBody(&ev, spec)
			var re *RequestError
			if !errors.As(err, &re) || !strings.Contains(re.Message, c.msg) {
				t.Fatalf("err = %v, want one saying %q", err, c.msg)
			}
		})
	}
}
