package api

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/internal/mototest"
	"github.com/auth0-sam-go/authapi/internal/secret"
	"github.com/auth0-sam-go/authapi/pkg/auth0"
	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
)

// These tests run the token handler over a real secret.Store reading a
// real moto_server through the AWS SDK, as functions/token wires them.

// countingFetcher counts the fetches that reach Secrets Manager, and lets a
// test swap the endpoint behind the Store (Secrets Manager down, then back).
type countingFetcher struct {
	mu sync.Mutex
	f  secret.Fetcher
	n  atomic.Int32
}

func (c *countingFetcher) Fetch(ctx context.Context, id string) (string, error) {
	c.n.Add(1)
	c.mu.Lock()
	f := c.f
	c.mu.Unlock()
	return f.Fetch(ctx, id)
}

func (c *countingFetcher) swap(f secret.Fetcher) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.f = f
}

// smFetcher builds the production Fetcher for the endpoint the
// environment names at the time of the call; the SDK reads it once.
func smFetcher(t *testing.T, endpoint string) secret.Fetcher {
	t.Helper()
	(&mototest.Server{Endpoint: endpoint}).Setenv(t)
	t.Setenv("AWS_ENDPOINT_URL", "")
	f, err := secret.NewSecretsManager(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// secretAPI is the token handler over a Store over a counting fetcher.
type secretAPI struct {
	*testAPI
	fetches *countingFetcher
	now     time.Time // the Store's clock: calls run one at a time
}

func newSecretAPI(t *testing.T, f secret.Fetcher, id string) *secretAPI {
	t.Helper()
	srv := auth0test.NewServer(auth0test.Config{})
	t.Cleanup(srv.Close)
	srv.AddUser(email, goodPassword)
	c := srv.Config()
	cfg := auth0.Config{BaseURL: srv.URL, ClientID: c.ClientID, Audience: c.Audience, Connection: c.Connection, Scope: auth0.DefaultScope}
	logs := &syncBuffer{}
	recordLogs(t, logs)
	a := &secretAPI{fetches: &countingFetcher{f: f}, now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	store := secret.NewStore(a.fetches, id, secret.WithClock(func() time.Time { return a.now }))
	a.testAPI = &testAPI{t: t, srv: srv, cfg: cfg, logs: logs,
		token: NewTokenHandler(auth0.NewClient(cfg, nil), store, NewLogger(logs))}
	return a
}

// login calls the token handler and returns its status and code.
func (a *secretAPI) login() (int, string) {
	a.t.Helper()
	resp, body := a.call(a.token, creds(email, goodPassword))
	code, _ := body["code"].(string)
	return resp.StatusCode, code
}

// wantNoValue fails if a secret value (or a fragment of it long enough to
// mean something) appears in the logs or an answer.
func (a *secretAPI) wantNoValue(values ...string) {
	a.t.Helper()
	for _, v := range values {
		sensitive("secret value", v)
		if strings.Contains(a.logs.String(), v) {
			a.t.Fatalf("secret value in the logs:\n%s", a.logs)
		}
	}
}

func TestTokenWithSecretsManager(t *testing.T) {
	moto := mototest.Start(t)
	sm := smFetcher(t, moto.Endpoint)
	const clientSecret = "test-client-secret" // auth0test's
	const value = "sm-value-Vb3kQ9xL2pR7wT5z"

	// Every way the secret can be unusable gives 503 secret_unavailable,
	// sends nothing to Auth0, logs the secret's id and never its value.
	unusable := []struct {
		name   string
		create func(t *testing.T, name string) string // returns the id to read
	}{
		{"missing", func(t *testing.T, name string) string { return name }},
		{"deleted", func(t *testing.T, name string) string {
			arn := moto.CreateSecret(t, name, `{"client_secret":"`+value+`"}`)
			moto.DeleteSecret(t, arn)
			return arn
		}},
		{"scheduled for deletion", func(t *testing.T, name string) string {
			arn := moto.CreateSecret(t, name, `{"client_secret":"`+value+`"}`)
			if err := moto.Call("DeleteSecret", map[string]any{"SecretId": arn, "RecoveryWindowInDays": 7}, nil); err != nil {
				t.Fatal(err)
			}
			return arn
		}},
		{"json without client_secret", func(t *testing.T, name string) string {
			return moto.CreateSecret(t, name, `{"clientSecret":"`+value+`","password":"`+value+`"}`)
		}},
		{"client_secret empty", func(t *testing.T, name string) string {
			return moto.CreateSecret(t, name, `{"client_secret":"  "}`)
		}},
		{"client_secret null", func(t *testing.T, name string) string {
			return moto.CreateSecret(t, name, `{"client_secret":null}`)
		}},
		{"client_secret a number", func(t *testing.T, name string) string {
			return moto.CreateSecret(t, name, `{"client_secret":12345678901234567890}`)
		}},
		{"malformed json", func(t *testing.T, name string) string {
			return moto.CreateSecret(t, name, `{"client_secret":"`+value)
		}},
		{"whitespace string", func(t *testing.T, name string) string {
			return moto.CreateSecret(t, name, " \n\t ")
		}},
		{"empty string", func(t *testing.T, name string) string {
			return moto.CreateSecret(t, name, "")
		}},
		{"binary", func(t *testing.T, name string) string {
			return moto.CreateBinarySecret(t, name, []byte(value))
		}},
	}
	for _, c := range unusable {
		t.Run(c.name, func(t *testing.T) {
			id := c.create(t, mototest.UniqueName(t))
			a := newSecretAPI(t, sm, id)
			for i := range 2 {
				if status, code := a.login(); status != 503 || code != "secret_unavailable" {
					t.Fatalf("call %d: %d %s, want 503 secret_unavailable", i, status, code)
				}
			}
			if n := a.fetches.n.Load(); n != 1 {
				t.Fatalf("%d fetches; a failed read is retried only after the interval", n)
			}
			if n := len(a.srv.Requests()); n != 0 {
				t.Fatalf("%d requests reached Auth0 without a secret", n)
			}
			if !strings.Contains(a.logs.String(), id) {
				t.Fatalf("the log does not name the secret %s:\n%s", id, a.logs)
			}
			a.wantNoValue(value)
		})
	}

	t.Run("down at cold start, then back", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := "http://" + l.Addr().String()
		l.Close()
		down := smFetcher(t, dead)
		arn := moto.CreateSecret(t, mototest.UniqueName(t), `{"client_secret":"`+clientSecret+`"}`)
		a := newSecretAPI(t, down, arn)

		if status, code := a.login(); status != 503 || code != "secret_unavailable" {
			t.Fatalf("with Secrets Manager down: %d %s", status, code)
		}
		if !strings.Contains(a.logs.String(), "connection refused") {
			t.Fatalf("the log does not give the cause:\n%s", a.logs)
		}
		a.fetches.swap(sm) // Secrets Manager is back
		if status, code := a.login(); status != 503 || code != "secret_unavailable" {
			t.Fatalf("within the retry interval: %d %s, want the remembered 503", status, code)
		}
		if n := a.fetches.n.Load(); n != 1 {
			t.Fatalf("%d fetches within the retry interval, want 1", n)
		}
		a.now = a.now.Add(secret.RetryInterval)
		if status, code := a.login(); status != 200 {
			t.Fatalf("after the retry interval: %d %s, want 200", status, code)
		}
		if n := a.fetches.n.Load(); n != 2 {
			t.Fatalf("%d fetches, want 2", n)
		}
		if n := len(a.srv.Requests()); n != 1 {
			t.Fatalf("%d Auth0 requests, want 1 (none while the secret was unavailable)", n)
		}
	})

	t.Run("never answers, 1 s deadline", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never reads
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		a := newSecretAPI(t, smFetcher(t, "http://"+l.Addr().String()), "auth0-client-secret")
		resp, body := a.callWithin(a.token, creds(email, goodPassword), time.Second)
		wantError(t, resp, body, 503, "secret_unavailable")
	})

	t.Run("rotation", func(t *testing.T) {
		const rotated = "rotated-Sm-Secret-4fJ8qW2x"
		arn := moto.CreateSecret(t, mototest.UniqueName(t), `{"client_secret":"`+clientSecret+`"}`)
		a := newSecretAPI(t, sm, arn)
		if status, code := a.login(); status != 200 {
			t.Fatalf("before rotation: %d %s", status, code)
		}
		moto.PutSecretValue(t, arn, `{"client_secret":"`+rotated+`"}`)
		a.srv.SetClientSecret(rotated)
		a.srv.ResetRequests()

		if status, code := a.login(); status != 200 {
			t.Fatalf("after rotation: %d %s", status, code)
		}
		if n := a.fetches.n.Load(); n != 2 {
			t.Fatalf("%d fetches, want exactly one re-read", n)
		}
		reqs := a.srv.Requests()
		if len(reqs) != 2 || reqs[0].Form.Get("client_secret") != auth0test.Redacted(clientSecret) || reqs[1].Form.Get("client_secret") != auth0test.Redacted(rotated) {
			t.Fatalf("Auth0 requests: %d, want one with the old secret and one retry with the new", len(reqs))
		}
		for _, r := range reqs {
			if r.Header.Get("Auth0-Forwarded-For") != "203.0.113.10" {
				t.Fatalf("a request without auth0-forwarded-for")
			}
		}
		if !strings.Contains(a.logs.String(), `"secret_reread":true`) {
			t.Fatalf("the log does not record the re-read:\n%s", a.logs)
		}

		a.srv.ResetRequests()
		if status, _ := a.login(); status != 200 || a.fetches.n.Load() != 2 || len(a.srv.Requests()) != 1 {
			t.Fatalf("next call: %d after %d fetches and %d requests; want 200, no fetch, 1 request",
				status, a.fetches.n.Load(), len(a.srv.Requests()))
		}
		a.wantNoValue(rotated)
	})

	t.Run("rotated in Auth0 before Secrets Manager", func(t *testing.T) {
		const rotated = "rotated-Late-Secret-8kT3mN6p"
		arn := moto.CreateSecret(t, mototest.UniqueName(t), `{"client_secret":"`+clientSecret+`"}`)
		a := newSecretAPI(t, sm, arn)
		if status, _ := a.login(); status != 200 {
			t.Fatalf("before rotation: %d", status)
		}
		a.srv.SetClientSecret(rotated)
		// The re-read finds the same value: no retry, and the operator is
		// told to check the secret.
		if status, code := a.login(); status != 500 || code != "server_misconfigured" {
			t.Fatalf("rotated in Auth0 only: %d %s", status, code)
		}
		if n := a.fetches.n.Load(); n != 2 {
			t.Fatalf("%d fetches, want one re-read", n)
		}
		// Secrets Manager catches up; within the interval the Store does
		// not hammer it, after the interval the next call recovers.
		moto.PutSecretValue(t, arn, rotated)
		if status, _ := a.login(); status != 500 || a.fetches.n.Load() != 2 {
			t.Fatalf("within the interval: %d after %d fetches", status, a.fetches.n.Load())
		}
		a.now = a.now.Add(secret.RetryInterval)
		if status, code := a.login(); status != http.StatusOK {
			t.Fatalf("after the interval: %d %s", status, code)
		}
		a.wantNoValue(rotated)
	})

	t.Run("deleted after a good read", func(t *testing.T) {
		arn := moto.CreateSecret(t, mototest.UniqueName(t), `{"client_secret":"`+clientSecret+`"}`)
		a := newSecretAPI(t, sm, arn)
		if status, _ := a.login(); status != 200 {
			t.Fatalf("before deletion: %d", status)
		}
		moto.DeleteSecret(t, arn)
		// The cached value keeps working while Auth0 accepts it.
		if status, _ := a.login(); status != 200 || a.fetches.n.Load() != 1 {
			t.Fatalf("after deletion: %d after %d fetches", status, a.fetches.n.Load())
		}
		// Once Auth0 rejects it, the re-read fails: whether the secret was
		// rotated cannot be known, so the caller is told to try again.
		a.srv.SetClientSecret("rotated-Gone-Secret-2vB7nQ1s")
		if status, code := a.login(); status != 503 || code != "secret_unavailable" {
			t.Fatalf("rejected, re-read failing: %d %s", status, code)
		}
		if n := a.fetches.n.Load(); n != 2 {
			t.Fatalf("%d fetches, want one re-read", n)
		}
	})
}
