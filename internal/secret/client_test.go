package secret_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/internal/secret"
	"github.com/auth0-sam-go/authapi/pkg/auth0"
)

func TestParseClient(t *testing.T) {
	got, err := secret.ParseClient(" {\"client_id\": \" m2m-id \", \"client_secret\": \"" + leak + "\", \"note\": 1}\n")
	if err != nil || got != (auth0.ClientCredentials{ID: "m2m-id", Secret: leak}) {
		t.Fatalf("ParseClient = %+v, %v", got, err)
	}
	for _, c := range []struct{ name, raw, msg string }{
		{"plain string", leak, "not a JSON object"},
		{"empty", "", "not a JSON object"},
		{"no id", `{"client_secret":"` + leak + `"}`, `no "client_id"`},
		{"no secret", `{"client_id":"m2m-id","secret":"` + leak + `"}`, `no "client_secret"`},
		{"empty id", `{"client_id":" ","client_secret":"` + leak + `"}`, `"client_id" is empty`},
		{"id not a string", `{"client_id":7,"client_secret":"` + leak + `"}`, `"client_id" is not a JSON string`},
		{"malformed", `{"client_id":"m2m-id","client_secret":"` + leak, "malformed JSON"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := secret.ParseClient(c.raw)
			if !errors.Is(err, secret.ErrInvalid) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("err = %v, want ErrInvalid saying %q", err, c.msg)
			}
			assertNoLeak(t, err)
		})
	}
}

// A ClientStore behaves as a Store does: cached, failures throttled,
// Refresh re-reads at most once per interval.
func TestClientStoreCachesAndRefreshes(t *testing.T) {
	m := &memory{}
	now := time.Unix(1_800_000_000, 0)
	s := secret.NewClientStore(m, id, secret.WithClock(func() time.Time { return now }))
	var _ auth0.CredentialsSource = s

	if _, err := s.Get(context.Background()); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("missing secret: %v", err)
	}
	m.set(id, `{"client_id":"a","client_secret":"one"}`)
	if _, err := s.Get(context.Background()); err == nil || m.calls != 1 {
		t.Fatalf("within the retry interval: %v after %d fetches", err, m.calls)
	}
	now = now.Add(secret.RetryInterval)
	if c, err := s.Get(context.Background()); err != nil || c.Secret != "one" || m.calls != 2 {
		t.Fatalf("Get = %+v, %v after %d fetches", c, err, m.calls)
	}
	m.set(id, `{"client_id":"a","client_secret":"two"}`)
	if c, _ := s.Get(context.Background()); c.Secret != "one" || m.calls != 2 {
		t.Fatalf("not cached: %+v after %d fetches", c, m.calls)
	}
	if c, err := s.Refresh(context.Background()); err != nil || c.Secret != "two" || m.calls != 3 {
		t.Fatalf("Refresh = %+v, %v after %d fetches", c, err, m.calls)
	}
}

func TestOpenAccountNamesEveryBadSetting(t *testing.T) {
	_, _, err := secret.OpenAccount("", "arn:aws:s3:::bucket")
	if err == nil || !strings.Contains(err.Error(), secret.EnvID+": not set") ||
		!strings.Contains(err.Error(), secret.EnvManagementID+": not a Secrets Manager ARN") {
		t.Fatalf("err = %v", err)
	}
}
