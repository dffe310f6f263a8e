package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
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

		if !strings.EqualFold(method, http.MethodPost) {
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
		if n := topLevelKeys(t, raw); n["email"] != 1 || n["password"] != 1 {
			t.Fatalf("accepted a body with email x%d, password x%d: %q", n["email"], n["password"], raw)
		}

		// And what it accepted, re-encoded, decodes to itself.
		again, _ := json.Marshal(map[string]string{"email": creds.Email, "password": creds.Password})
		ev2 := jsonEvent(string(again))
		if got, err := DecodeCredentials(&ev2); err != nil || got != creds {
			t.Fatalf("re-encoded credentials decode to %+v, %v; want %+v", got, err, creds)
		}
	})
}

// topLevelKeys counts the keys of the JSON object data, as encoding/json
// decodes them (escapes resolved).
func topLevelKeys(t *testing.T, data []byte) map[string]int {
	t.Helper()
	n := map[string]int{}
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
		n[key]++
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("oracle: %v", err)
		}
	}
	return n
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
