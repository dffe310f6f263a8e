// Package secret reads the Auth0 client secret, and the Management API's
// client credentials, from AWS Secrets Manager and caches them. It is the only package in the project that imports the AWS SDK.
package secret

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/auth0-sam-go/authapi/pkg/auth0"
)

// Fetcher reads a secret's raw SecretString by ARN or name.
//
// Errors are plain (not *Error): Store adds the secret's ID.
type Fetcher interface {
	Fetch(ctx context.Context, id string) (string, error)
}

// Sentinel causes, matched with errors.Is through *Error.
var (
	// ErrNotFound: no secret with that ARN/name, or it was force-deleted.
	ErrNotFound = errors.New("secret not found (no such ARN or name, or it was deleted)")
	// ErrDeleted: the secret exists but is scheduled for deletion.
	ErrDeleted = errors.New("secret is scheduled for deletion")
	// ErrBinary: the secret has SecretBinary and no SecretString.
	ErrBinary = errors.New("secret has no SecretString (binary secrets are not supported; store the client secret as a string)")
	// ErrInvalid: the SecretString is not a usable client secret.
	ErrInvalid = errors.New("invalid secret value")
)

// Error reports which secret could not be read and why. It never contains
// the secret's value.
type Error struct {
	ID  string // ARN or name
	Err error
}

func (e *Error) Error() string { return fmt.Sprintf("secret %q: %v", e.ID, e.Err) }

func (e *Error) Unwrap() error { return e.Err }

// Parse extracts the client secret from a SecretString: either a JSON
// object with a non-empty string "client_secret", or the plain secret itself.
// Surrounding whitespace is trimmed (a trailing newline from `aws ... file://`
// is a common mistake). Errors never quote the value.
func Parse(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", fmt.Errorf("%w: value is empty or whitespace", ErrInvalid)
	}
	if s[0] != '{' {
		return s, nil
	}
	obj, err := object(s)
	if err != nil {
		return "", err
	}
	return field(obj, "client_secret")
}

// ParseClient extracts a machine-to-machine application's credentials from
// a SecretString: a JSON object with non-empty strings "client_id" and
// "client_secret". Errors never quote the value.
func ParseClient(raw string) (auth0.ClientCredentials, error) {
	s := strings.TrimSpace(raw)
	if !strings.HasPrefix(s, "{") {
		return auth0.ClientCredentials{}, fmt.Errorf(`%w: not a JSON object {"client_id": "...", "client_secret": "..."}`, ErrInvalid)
	}
	obj, err := object(s)
	if err != nil {
		return auth0.ClientCredentials{}, err
	}
	id, err := field(obj, "client_id")
	if err != nil {
		return auth0.ClientCredentials{}, err
	}
	secret, err := field(obj, "client_secret")
	if err != nil {
		return auth0.ClientCredentials{}, err
	}
	return auth0.ClientCredentials{ID: id, Secret: secret}, nil
}

func object(s string) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &obj); err != nil {
		// encoding/json's messages can quote bytes of the input, so only
		// the position is reported.
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%w: malformed JSON object (syntax error at byte %d)", ErrInvalid, se.Offset)
		}
		return nil, fmt.Errorf("%w: malformed JSON object", ErrInvalid)
	}
	return obj, nil
}

// field reads a non-empty string member of obj, trimmed.
func field(obj map[string]json.RawMessage, name string) (string, error) {
	raw, ok := obj[name]
	if !ok {
		return "", fmt.Errorf("%w: JSON object has no %q key", ErrInvalid, name)
	}
	var v string
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) || json.Unmarshal(raw, &v) != nil {
		return "", fmt.Errorf("%w: %q is not a JSON string", ErrInvalid, name)
	}
	if v = strings.TrimSpace(v); v == "" {
		return "", fmt.Errorf("%w: %q is empty", ErrInvalid, name)
	}
	return v, nil
}
