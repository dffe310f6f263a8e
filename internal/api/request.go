package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// Limits of the request contract.
const (
	MaxBodyBytes     = 16 << 10
	MaxEmailBytes    = 254
	MaxPasswordBytes = 1024
)

// Credentials are what both routes take.
type Credentials struct {
	Email    string
	Password string
}

// RequestError is a request the contract refuses before anything is sent
// to Auth0.
type RequestError struct {
	Status  int
	Code    string
	Message string
	allow   string // the Allow header of a 405
}

func (e *RequestError) Error() string { return e.Code + ": " + e.Message }

func invalid(msg string) *RequestError {
	return &RequestError{Status: http.StatusBadRequest, Code: "invalid_request", Message: msg}
}

var credentialsBody = bodySpec{
	names:   []string{"email", "password"},
	example: `{"email": "...", "password": "..."}`,
}

// DecodeCredentials checks the method, then reads {"email","password"}
// strictly and checks both values.
func DecodeCredentials(ev *events.APIGatewayV2HTTPRequest) (Credentials, error) {
	if err := checkPost(ev); err != nil {
		return Credentials{}, err
	}
	f, err := decodeBody(ev, credentialsBody)
	if err != nil {
		return Credentials{}, err
	}
	if !f.has("email") {
		return Credentials{}, invalid("email: required")
	}
	return checkCredentials(f.has("password"), f["email"], f["password"])
}

// checkPost refuses any method but POST. The router does so too; a handler
// served alone (tests, a function without a router) still must.
func checkPost(ev *events.APIGatewayV2HTTPRequest) error {
	switch method := ev.RequestContext.HTTP.Method; {
	case method == "":
		return invalid("the request has no HTTP method")
	case method != http.MethodPost:
		return &RequestError{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
			Message: "use POST", allow: http.MethodPost}
	}
	return nil
}

// checkCredentials checks a given email and a password that may be absent.
func checkCredentials(hasPassword bool, email, password string) (Credentials, error) {
	if !hasPassword {
		return Credentials{}, invalid("password: required")
	}
	if err := checkEmail(email); err != nil {
		return Credentials{}, err
	}
	if err := checkText("password", password, MaxPasswordBytes); err != nil {
		return Credentials{}, err
	}
	return Credentials{Email: email, Password: password}, nil
}

// bodySpec is what a route reads from its request body.
type bodySpec struct {
	names   []string // the fields read; any other field is ignored
	form    bool     // application/x-www-form-urlencoded is taken as well as JSON
	example string   // suggested when the body is empty
}

// fields are the named fields a body gave, each once, each a string.
type fields map[string]string

func (f fields) has(name string) bool { _, ok := f[name]; return ok }

// decodeBody checks content type, encoding and size, then reads spec.names
// from the body, a JSON object or (if spec.form) a form. Each named field
// must be a string given at most once, in valid UTF-8; in JSON, without a
// lone surrogate escape, which encoding/json would silently turn into
// U+FFFD. Duplicates are refused because other parsers might resolve them
// differently.
func decodeBody(ev *events.APIGatewayV2HTTPRequest, spec bodySpec) (fields, error) {
	isForm, err := mediaType(header(ev.Headers, "content-type"), spec.form)
	if err != nil {
		return nil, err
	}
	body, err := rawBody(ev)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, invalid("the body is empty; send " + spec.example)
	}
	if !utf8.Valid(body) {
		return nil, invalid("the body is not valid UTF-8")
	}
	if isForm {
		return formFields(body, spec.names)
	}
	return jsonFields(body, spec.names)
}

// mediaType accepts no content type (JSON), JSON and, if form, a form.
func mediaType(value string, form bool) (isForm bool, err error) {
	if strings.TrimSpace(value) == "" {
		return false, nil
	}
	mt, _, err := mime.ParseMediaType(value)
	switch {
	case err == nil && mt == "application/json":
		return false, nil
	case err == nil && form && mt == "application/x-www-form-urlencoded":
		return true, nil
	case form:
		return false, &RequestError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
			Message: "send the body as application/json or application/x-www-form-urlencoded"}
	}
	return false, &RequestError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
		Message: "send the body as application/json"}
}

var errTooLarge = &RequestError{Status: http.StatusRequestEntityTooLarge, Code: "payload_too_large",
	Message: "the body must be at most 16 KiB"}

func rawBody(ev *events.APIGatewayV2HTTPRequest) ([]byte, error) {
	if !ev.IsBase64Encoded {
		if len(ev.Body) > MaxBodyBytes {
			return nil, errTooLarge
		}
		return []byte(ev.Body), nil
	}
	if base64.StdEncoding.DecodedLen(len(ev.Body)) > MaxBodyBytes+2 {
		return nil, errTooLarge
	}
	body, err := base64.StdEncoding.DecodeString(ev.Body)
	if err != nil {
		return nil, invalid("the body is not valid base64")
	}
	if len(body) > MaxBodyBytes {
		return nil, errTooLarge
	}
	return body, nil
}

var errNotJSON = invalid("the body is not valid JSON")

// jsonFields walks the object's members with a json.Decoder, so that each
// named key is seen (and a duplicate refused) however it is spelled.
func jsonFields(body []byte, names []string) (fields, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, invalid("the body must be a JSON object")
	}
	f := make(fields, len(names))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, errNotJSON
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, errNotJSON
		}
		if !slices.Contains(names, key) {
			continue
		}
		if f.has(key) {
			return nil, invalid(key + ": given more than once")
		}
		var s string
		if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
			return nil, invalid(key + ": must be a string")
		}
		if loneSurrogate(raw) {
			return nil, invalid(key + ": contains an invalid Unicode escape")
		}
		f[key] = s
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, errNotJSON
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, invalid("the body has data after the JSON object")
	}
	return f, nil
}

// formFields reads a form with net/url; percent-escapes may spell any byte,
// so each named value is checked for UTF-8 again.
func formFields(body []byte, names []string) (fields, error) {
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, invalid("the body is not a valid form")
	}
	f := make(fields, len(names))
	for _, name := range names {
		switch v := values[name]; {
		case len(v) > 1:
			return nil, invalid(name + ": given more than once")
		case len(v) == 1 && !utf8.ValidString(v[0]):
			return nil, invalid(name + ": is not valid UTF-8")
		case len(v) == 1:
			f[name] = v[0]
		}
	}
	return f, nil
}

// loneSurrogate reports a \uD800-\uDFFF escape in a JSON string that is not
// half of a surrogate pair.
func loneSurrogate(raw []byte) bool {
	for i := 0; i+1 < len(raw); i++ {
		switch {
		case raw[i] != '\\':
		case raw[i+1] != 'u':
			i++ // an escaped character, perhaps a backslash
		case utf16.IsSurrogate(escaped(raw, i)):
			if utf16.DecodeRune(escaped(raw, i), escaped(raw, i+6)) == utf8.RuneError {
				return true
			}
			i += 11
		default:
			i += 5
		}
	}
	return false
}

// escaped is the code unit of the \uXXXX escape at raw[i:], or -1.
func escaped(raw []byte, i int) rune {
	if i+6 > len(raw) || raw[i] != '\\' || raw[i+1] != 'u' {
		return -1
	}
	n, err := strconv.ParseUint(string(raw[i+2:i+6]), 16, 16)
	if err != nil {
		return -1
	}
	return rune(n)
}

// checkText checks a free-text field: present, at most maxBytes, no NUL.
func checkText(name, v string, maxBytes int) error {
	switch {
	case v == "":
		return invalid(name + ": must not be empty")
	case len(v) > maxBytes:
		return invalid(name + ": must be at most " + strconv.Itoa(maxBytes) + " bytes")
	case strings.IndexByte(v, 0) >= 0:
		return invalid(name + ": must not contain NUL characters")
	}
	return nil
}

// header finds a header whatever its case; API Gateway lower-cases them, but
// hand-written events and local tools may not.
func header(h map[string]string, name string) string {
	if v, ok := h[name]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}
