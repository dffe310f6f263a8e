package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/auth0-sam-go/authapi/internal/flatjson"
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
}

func (e *RequestError) Error() string { return e.Code + ": " + e.Message }

func invalid(msg string) *RequestError {
	return &RequestError{Status: http.StatusBadRequest, Code: "invalid_request", Message: msg}
}

// DecodeCredentials checks method, content type, encoding and size, then
// parses {"email","password"} strictly.
func DecodeCredentials(ev *events.APIGatewayV2HTTPRequest) (Credentials, error) {
	switch method := ev.RequestContext.HTTP.Method; {
	case method == "":
		return Credentials{}, invalid("the request has no HTTP method")
	case !strings.EqualFold(method, http.MethodPost):
		return Credentials{}, &RequestError{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
			Message: "use POST"}
	}
	if err := checkContentType(header(ev.Headers, "content-type")); err != nil {
		return Credentials{}, err
	}
	body, err := rawBody(ev)
	if err != nil {
		return Credentials{}, err
	}
	return parseCredentials(body)
}

func checkContentType(value string) error {
	if strings.TrimSpace(value) == "" {
		return nil
	}
	mediaType, _, err := mime.ParseMediaType(value)
	if err != nil || mediaType != "application/json" {
		return &RequestError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
			Message: "send the body as application/json"}
	}
	return nil
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

// parseCredentials parses {"email","password"} strictly (duplicate keys,
// which other parsers might resolve differently, are refused) and checks
// both values.
func parseCredentials(body []byte) (Credentials, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return Credentials{}, invalid(`the body is empty; send {"email": "...", "password": "..."}`)
	}
	if !utf8.Valid(body) {
		return Credentials{}, invalid("the body is not valid UTF-8")
	}
	creds, ok := plainCredentials(body)
	if !ok {
		var err error
		if creds, err = walkCredentials(body); err != nil {
			return Credentials{}, err
		}
	}
	if err := checkEmail(creds.Email); err != nil {
		return Credentials{}, err
	}
	if err := checkPassword(creds.Password); err != nil {
		return Credentials{}, err
	}
	return creds, nil
}

// plainCredentials reads the body every real client sends, a flat object
// with each field once as a string without escapes, without encoding/json
// (which took a quarter of a warm request). ok is false for anything else,
// which walkCredentials then reads or refuses.
func plainCredentials(body []byte) (creds Credentials, ok bool) {
	var seenEmail, seenPassword bool
	flat := flatjson.Object(body, func(key []byte, kind flatjson.Kind, v []byte) bool {
		switch string(key) {
		case "email":
			if seenEmail || kind != flatjson.String {
				return false
			}
			seenEmail, creds.Email = true, string(v)
		case "password":
			if seenPassword || kind != flatjson.String {
				return false
			}
			seenPassword, creds.Password = true, string(v)
		}
		return true
	})
	return creds, flat && seenEmail && seenPassword
}

// walkCredentials walks the object's keys itself so that duplicate keys,
// which other parsers might resolve differently, are refused.
func walkCredentials(body []byte) (Credentials, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return Credentials{}, invalid("the body must be a JSON object")
	}
	var creds Credentials
	var seenEmail, seenPassword bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return Credentials{}, invalid("the body is not valid JSON")
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return Credentials{}, invalid("the body is not valid JSON")
		}
		switch key {
		case "email":
			if seenEmail {
				return Credentials{}, invalid("email: given more than once")
			}
			seenEmail = true
			if creds.Email, err = stringField("email", raw); err != nil {
				return Credentials{}, err
			}
		case "password":
			if seenPassword {
				return Credentials{}, invalid("password: given more than once")
			}
			seenPassword = true
			if creds.Password, err = stringField("password", raw); err != nil {
				return Credentials{}, err
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return Credentials{}, invalid("the body is not valid JSON")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Credentials{}, invalid("the body has data after the JSON object")
	}
	switch {
	case !seenEmail:
		return Credentials{}, invalid("email: required")
	case !seenPassword:
		return Credentials{}, invalid("password: required")
	}
	return creds, nil
}

func stringField(name string, raw json.RawMessage) (string, error) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", invalid(name + ": must be a string")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", invalid(name + ": must be a string")
	}
	if hasLoneSurrogate(raw) {
		// encoding/json would turn it into U+FFFD: two different
		// passwords would become one, and not the one the client sent.
		return "", invalid(name + ": contains an invalid Unicode escape")
	}
	return s, nil
}

// hasLoneSurrogate reports a \uD800-\uDFFF escape in a JSON string that
// is not half of a surrogate pair.
func hasLoneSurrogate(raw []byte) bool {
	for i := 0; i+1 < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if raw[i+1] != 'u' {
			i++ // an escaped character, perhaps a backslash
			continue
		}
		v, ok := hex4(raw, i+2)
		switch {
		case !ok:
			return false // json.Unmarshal has already refused it
		case v >= 0xD800 && v <= 0xDBFF:
			low, ok := hex4(raw, i+8)
			if !ok || raw[i+6] != '\\' || raw[i+7] != 'u' || low < 0xDC00 || low > 0xDFFF {
				return true
			}
			i += 11
		case v >= 0xDC00 && v <= 0xDFFF:
			return true
		default:
			i += 5
		}
	}
	return false
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	var v rune
	for _, c := range b[at : at+4] {
		switch {
		case '0' <= c && c <= '9':
			v = v<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			v = v<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			v = v<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

func checkPassword(p string) error {
	switch {
	case p == "":
		return invalid("password: must not be empty")
	case len(p) > MaxPasswordBytes:
		return invalid("password: must be at most 1024 bytes")
	case strings.IndexByte(p, 0) >= 0:
		return invalid("password: must not contain NUL characters")
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
