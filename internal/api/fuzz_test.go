package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// statusOfCode is the one status each decoder code may carry.
var statusOfCode = map[string]int{
	"invalid_request":        http.StatusBadRequest,
	"method_not_allowed":     http.StatusMethodNotAllowed,
	"payload_too_large":      http.StatusRequestEntityTooLarge,
	"unsupported_media_type": http.StatusUnsupportedMediaType,
}

// FuzzDecodeCredentials feeds any method, content type, body and base64 flag
// to the request decoder.
//
// Properties: it never panics; a failure is always a bare *RequestError with
// a 4xx status matching its code and a short message; a success means a POST
// with no or a JSON content type, a body of at most 16 KiB, an email that
// passes checkEmail (ASCII, at most 254 bytes), a password of 1-1024 bytes
// of valid UTF-8 without NUL, and the same email and password that
// encoding/json reads from the body (so no duplicate-key or escaping trick
// makes the two parsers disagree).
func FuzzDecodeCredentials(f *testing.F) {
	for _, c := range badRequests() {
		if len(c.ev.Body) <= 2<<10 {
			f.Add(c.ev.RequestContext.HTTP.Method, header(c.ev.Headers, "content-type"), []byte(c.ev.Body), c.ev.IsBase64Encoded)
		}
	}
	for _, body := range []string{
		withPassword("Correct-Horse-42"),
		`{"email":"jane@example.com","password":"p\u00e9\ud83d\ude00","x":[1,{"y":null}],"n":1e999}`,
		`{"em\u0061il":"jane@example.com","password":"\ud800"}`,
		`{"email":"jane@example.com","password":"x"}   `,
		`{"email":"jane@example.com","password":"x"}}`,
		`{"email":"jane@example.com","password":"x","email":"jane@example.com"}`,
		`{"email":"jane@example.com","password":"x","n":-1.5e+3,"t":true,"f":false,"z":null}`,
		`{"email":"jane@example.com" , "password" : "x" ,}`,
		"{\"email\":\"jane@example.com\",\"password\":\"\x7f\u00e9\"}",
	} {
		f.Add("POST", "application/json; charset=utf-8", []byte(body), false)
		f.Add("post", "", []byte(base64.StdEncoding.EncodeToString([]byte(body))), true)
	}

	f.Fuzz(func(t *testing.T, method, contentType string, body []byte, isBase64 bool) {
		ev := events.APIGatewayV2HTTPRequest{Headers: map[string]string{}, Body: string(body), IsBase64Encoded: isBase64}
		ev.RequestContext.HTTP.Method = method
		if contentType != "" {
			ev.Headers["content-type"] = contentType
		}
		creds, err := DecodeCredentials(&ev)
		if err != nil {
			re, ok := err.(*RequestError)
			if !ok {
				t.Fatalf("error %v is a %T, want *RequestError", err, err)
			}
			if want, known := statusOfCode[re.Code]; !known || re.Status != want {
				t.Fatalf("status %d with code %q", re.Status, re.Code)
			}
			if re.Message == "" || len(re.Message) > 120 || !utf8.ValidString(re.Message) {
				t.Fatalf("message %q", re.Message)
			}
			if o := OutcomeOf(err); o.Status != re.Status || o.Code != re.Code {
				t.Fatalf("OutcomeOf gives %d %s for %d %s", o.Status, o.Code, re.Status, re.Code)
			}
			return
		}

		if method != http.MethodPost {
			t.Fatalf("accepted method %q", method)
		}
		if strings.TrimSpace(contentType) != "" {
			if mt, _, err := mime.ParseMediaType(contentType); err != nil || mt != "application/json" {
				t.Fatalf("accepted content type %q", contentType)
			}
		}
		raw := body
		if isBase64 {
			if raw, err = base64.StdEncoding.DecodeString(string(body)); err != nil {
				t.Fatalf("accepted invalid base64: %v", err)
			}
		}
		if len(raw) > MaxBodyBytes {
			t.Fatalf("accepted a body of %d bytes", len(raw))
		}
		if err := checkEmail(creds.Email); err != nil || len(creds.Email) > MaxEmailBytes {
			t.Fatalf("accepted email %q: %v", creds.Email, err)
		}
		for i := 0; i < len(creds.Email); i++ {
			if creds.Email[i] >= utf8.RuneSelf || creds.Email[i] <= ' ' {
				t.Fatalf("accepted email %q with byte %#x", creds.Email, creds.Email[i])
			}
		}
		if p := creds.Password; p == "" || len(p) > MaxPasswordBytes || strings.IndexByte(p, 0) >= 0 || !utf8.ValidString(p) {
			t.Fatalf("accepted password of %d bytes: %q", len(p), p)
		}

		// encoding/json must read the same two strings from the body, each
		// key present once.
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
			t.Fatalf("accepted a body encoding/json refuses (%v): %q", err, raw)
		}
		var email, password string
		if json.Unmarshal(obj["email"], &email) != nil || json.Unmarshal(obj["password"], &password) != nil ||
			email != creds.Email || password != creds.Password {
			t.Fatalf("decoder read %q/%q, encoding/json %q/%q from %q", creds.Email, creds.Password, email, password, raw)
		}
		if m := topLevelMembers(t, raw); len(m["email"]) != 1 || len(m["password"]) != 1 {
			t.Fatalf("accepted a body with email x%d, password x%d: %q", len(m["email"]), len(m["password"]), raw)
		}

		// And what it accepted, re-encoded, decodes to itself.
		again, _ := json.Marshal(map[string]string{"email": creds.Email, "password": creds.Password})
		ev2 := jsonEvent(string(again))
		if got, err := DecodeCredentials(&ev2); err != nil || got != creds {
			t.Fatalf("re-encoded credentials decode to %+v, %v; want %+v", got, err, creds)
		}
	})
}

// topLevelMembers gives the values of each key of the JSON object data, as
// encoding/json decodes the keys (escapes resolved).
func topLevelMembers(t *testing.T, data []byte) map[string][]json.RawMessage {
	t.Helper()
	m := map[string][]json.RawMessage{}
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		t.Fatalf("oracle: %v", err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("oracle: %v", err)
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("oracle: %v", err)
		}
		m[key] = append(m[key], v)
	}
	return m
}

// fuzzSpec reads three fields from JSON or a form, as a route with
// optional fields would.
var fuzzSpec = bodySpec{names: []string{"email", "password", "grant_type"}, form: true, example: "{}"}

// FuzzDecodeBody feeds any content type and body to the body decoder, with
// forms allowed.
//
// Properties: it never panics; a failure is a *RequestError with a 4xx
// status matching its code; a success means no, a JSON or a form content
// type, valid UTF-8, and for each named field exactly what encoding/json or
// net/url reads: absent, or given once as a string with that value (a lone
// surrogate escape, which encoding/json turns into U+FFFD, is refused).
func FuzzDecodeBody(f *testing.F) {
	for _, s := range [][2]string{
		{"application/json", `{"email":"jane@example.com","password":"p\u00e9","grant_type":"password","x":[1,{}]}`},
		{"application/json", `{"em\u0061il":"a","email":"b"}`},
		{"application/json", `{"password":"\ud83d\ude00","grant_type":7}`},
		{"", `{"password":"a\\ud800"}`},
		{"application/x-www-form-urlencoded", "email=jane%40example.com&password=p%C3%A9+x&grant_type=password&x=1"},
		{"application/x-www-form-urlencoded; charset=utf-8", "email=a&email=b"},
		{"application/x-www-form-urlencoded", "password=%ff&email"},
		{"application/x-www-form-urlencoded", "email=a;password=b"},
		{"application/x-www-form-urlencoded", `{"email":"a"}`},
		{"text/plain", "email=a"},
	} {
		f.Add(s[0], []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		ev := events.APIGatewayV2HTTPRequest{Headers: map[string]string{"content-type": contentType}, Body: string(body)}
		got, err := decodeBody(&ev, fuzzSpec)
		if err != nil {
			re, ok := err.(*RequestError)
			if !ok || statusOfCode[re.Code] != re.Status || re.Message == "" {
				t.Fatalf("error %#v", err)
			}
			return
		}
		isForm, err := mediaType(contentType, true)
		if err != nil {
			t.Fatalf("accepted content type %q", contentType)
		}
		if !utf8.Valid(body) {
			t.Fatalf("accepted invalid UTF-8: %q", body)
		}
		for _, name := range fuzzSpec.names {
			v, ok := got[name]
			if isForm {
				values, err := url.ParseQuery(string(body))
				if err != nil || len(values[name]) > 1 || ok != (len(values[name]) == 1) || (ok && v != values[name][0]) {
					t.Fatalf("%s: decoded %q (%v), net/url reads %q (%v) from %q", name, v, ok, values[name], err, body)
				}
				continue
			}
			members := topLevelMembers(t, body)[name]
			var want string
			if len(members) > 1 || ok != (len(members) == 1) ||
				(ok && (json.Unmarshal(members[0], &want) != nil || v != want || members[0][0] != '"')) {
				t.Fatalf("%s: decoded %q (%v), encoding/json reads %q from %q", name, v, ok, members, body)
			}
			if ok && strings.ContainsRune(v, utf8.RuneError) && !bytes.ContainsRune(members[0], utf8.RuneError) &&
				!bytes.Contains(bytes.ToLower(members[0]), []byte(`\ufffd`)) {
				t.Fatalf("%s: U+FFFD from nowhere in %q: a lone surrogate got through", name, members[0])
			}
			if !utf8.ValidString(v) {
				t.Fatalf("%s: invalid UTF-8 %q", name, v)
			}
		}
	})
}

// TestRequestErrorsAreNotWrapped pins what FuzzDecodeCredentials relies on:
// errors.As and a plain type assertion agree.
func TestRequestErrorsAreNotWrapped(t *testing.T) {
	ev := jsonEvent(`{}`)
	_, err := DecodeCredentials(&ev)
	var re *RequestError
	if _, ok := err.(*RequestError); !ok || !errors.As(err, &re) {
		t.Fatalf("err = %#v", err)
	}
}
