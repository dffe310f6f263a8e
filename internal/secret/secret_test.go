package secret_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/auth0-sam-go/authapi/internal/secret"
)

// leak is a marker that must never appear in an error message.
const leak = "TOPSECRET-do-not-log"

func TestParse(t *testing.T) {
	ok := []struct{ name, raw, want string }{
		{"json", `{"client_secret":"` + leak + `"}`, leak},
		{"json with other keys", `{"client_id":"abc","client_secret":"` + leak + `","x":1}`, leak},
		{"json padded", " \n{\"client_secret\": \" " + leak + "\\n\"}\n", leak},
		{"plain", leak, leak},
		{"plain with trailing newline", leak + "\n", leak},
		{"plain that is a JSON array", `["` + leak + `"]`, `["` + leak + `"]`},
	}
	for _, c := range ok {
		t.Run(c.name, func(t *testing.T) {
			got, err := secret.Parse(c.raw)
			if err != nil || got != c.want {
				t.Fatalf("Parse = %q, %v; want %q", got, err, c.want)
			}
		})
	}

	bad := []struct{ name, raw, msg string }{
		{"empty", "", "empty"},
		{"whitespace", " \t\n ", "empty"},
		{"json without key", `{"clientSecret":"` + leak + `"}`, `no "client_secret"`},
		{"json key case differs", `{"Client_Secret":"` + leak + `"}`, `no "client_secret"`},
		{"json number", `{"client_secret":12345,"x":"` + leak + `"}`, "not a JSON string"},
		{"json bool", `{"client_secret":true}`, "not a JSON string"},
		{"json null", `{"client_secret":null}`, "not a JSON string"},
		{"json object", `{"client_secret":{"v":"` + leak + `"}}`, "not a JSON string"},
		{"json empty string", `{"client_secret":""}`, "is empty"},
		{"json whitespace string", `{"client_secret":"  "}`, "is empty"},
		{"malformed json", `{"client_secret":"` + leak, "malformed JSON"},
		{"malformed json bad char", `{"client_secret":` + leak + `}`, "malformed JSON"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			got, err := secret.Parse(c.raw)
			if err == nil {
				t.Fatalf("Parse = %q, nil; want error", got)
			}
			if !errors.Is(err, secret.ErrInvalid) {
				t.Errorf("error %v is not ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q does not say %q", err, c.msg)
			}
			assertNoLeak(t, err)
		})
	}
}

func TestErrorMessageAndUnwrap(t *testing.T) {
	arn := "arn:aws:secretsmanager:us-east-1:123456789012:secret:auth0-AbCdEf"
	var err error = &secret.Error{ID: arn, Err: secret.ErrNotFound}
	if !strings.Contains(err.Error(), arn) || !strings.Contains(err.Error(), "not found") {
		t.Errorf("Error() = %q: want the ARN and the cause", err)
	}
	if !errors.Is(err, secret.ErrNotFound) {
		t.Error("errors.Is(ErrNotFound) = false")
	}
	var se *secret.Error
	if !errors.As(err, &se) || se.ID != arn {
		t.Errorf("errors.As = %v", se)
	}
}

func assertNoLeak(t *testing.T, err error) {
	t.Helper()
	for e := err; e != nil; e = errors.Unwrap(e) {
		if strings.Contains(e.Error(), leak) || strings.Contains(e.Error(), "TOPSECRET") {
			t.Fatalf("error leaks the secret value: %q", e)
		}
	}
	if s := strings.ToLower(err.Error()); strings.Contains(s, "topsecret") {
		t.Fatalf("error leaks the secret value: %q", err)
	}
}
