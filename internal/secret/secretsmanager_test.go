package secret_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/internal/mototest"
	"github.com/auth0-sam-go/authapi/internal/secret"
)

// counting counts fetches that reach Secrets Manager.
type counting struct {
	secret.Fetcher
	n atomic.Int32
}

func (c *counting) Fetch(ctx context.Context, id string) (string, error) {
	c.n.Add(1)
	return c.Fetcher.Fetch(ctx, id)
}

func newSecretsManager(t *testing.T) secret.Fetcher {
	t.Helper()
	f, err := secret.NewSecretsManager(context.Background())
	if err != nil {
		t.Fatalf("NewSecretsManager: %v", err)
	}
	return f
}

// TestSecretsManager runs against a real moto_server, reached only through
// AWS_ENDPOINT_URL_SECRETS_MANAGER: this is also the check that the SDK
// honours that variable. One server is shared by the subtests (names are
// unique per subtest).
func TestSecretsManager(t *testing.T) {
	srv := mototest.Start(t)
	srv.Setenv(t)
	t.Setenv("AWS_ENDPOINT_URL", "") // only the service-specific variable may route us
	f := newSecretsManager(t)

	t.Run("json by ARN and by name", func(t *testing.T) {
		name := mototest.UniqueName(t)
		arn := srv.CreateSecret(t, name, `{"client_id":"abc","client_secret":"`+leak+`"}`)
		for _, id := range []string{arn, name} {
			if v, err := secret.NewStore(f, id).Get(context.Background()); err != nil || v != leak {
				t.Fatalf("Get(%s) = %q, %v", id, v, err)
			}
		}
	})

	t.Run("plain", func(t *testing.T) {
		arn := srv.CreateSecret(t, mototest.UniqueName(t), leak+"\n")
		if v, err := secret.NewStore(f, arn).Get(context.Background()); err != nil || v != leak {
			t.Fatalf("Get = %q, %v", v, err)
		}
	})

	t.Run("json without client_secret", func(t *testing.T) {
		arn := srv.CreateSecret(t, mototest.UniqueName(t), `{"password":"`+leak+`"}`)
		_, err := secret.NewStore(f, arn).Get(context.Background())
		if !errors.Is(err, secret.ErrInvalid) || !strings.Contains(err.Error(), arn) {
			t.Fatalf("Get error = %v; want ErrInvalid naming %s", err, arn)
		}
		assertNoLeak(t, err)
	})

	t.Run("missing then created recovers after the interval", func(t *testing.T) {
		name := mototest.UniqueName(t)
		c := &counting{Fetcher: f}
		now := time.Now()
		s := secret.NewStore(c, name, secret.WithClock(func() time.Time { return now }))

		_, err := s.Get(context.Background())
		if !errors.Is(err, secret.ErrNotFound) {
			t.Fatalf("Get error = %v, want ErrNotFound", err)
		}
		for _, want := range []string{name, "not found", "ResourceNotFoundException"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}

		srv.CreateSecret(t, name, `{"client_secret":"`+leak+`"}`)
		if _, err := s.Get(context.Background()); !errors.Is(err, secret.ErrNotFound) {
			t.Fatalf("within the interval: %v, want the cached ErrNotFound", err)
		}
		if n := c.n.Load(); n != 1 {
			t.Fatalf("fetches within the interval = %d, want 1", n)
		}
		now = now.Add(secret.RetryInterval)
		if v, err := s.Get(context.Background()); err != nil || v != leak {
			t.Fatalf("after the interval: %q, %v", v, err)
		}
	})

	t.Run("rotation", func(t *testing.T) {
		arn := srv.CreateSecret(t, mototest.UniqueName(t), `{"client_secret":"old"}`)
		s := secret.NewStore(f, arn)
		if v, err := s.Get(context.Background()); err != nil || v != "old" {
			t.Fatalf("Get = %q, %v", v, err)
		}
		srv.PutSecretValue(t, arn, `{"client_secret":"new"}`)
		if v, _ := s.Get(context.Background()); v != "old" {
			t.Fatalf("Get after rotation = %q, want the cached old value", v)
		}
		if v, err := s.Refresh(context.Background()); err != nil || v != "new" {
			t.Fatalf("Refresh = %q, %v; want new", v, err)
		}
		if v, _ := s.Get(context.Background()); v != "new" {
			t.Fatalf("Get after Refresh = %q", v)
		}
	})

	t.Run("deleted", func(t *testing.T) {
		arn := srv.CreateSecret(t, mototest.UniqueName(t), "v1")
		s := secret.NewStore(f, arn)
		if v, err := s.Get(context.Background()); err != nil || v != "v1" {
			t.Fatalf("Get = %q, %v", v, err)
		}
		srv.DeleteSecret(t, arn)
		_, err := s.Refresh(context.Background())
		if !errors.Is(err, secret.ErrNotFound) || !strings.Contains(err.Error(), "deleted") {
			t.Fatalf("Refresh error = %v; want ErrNotFound saying deleted", err)
		}
		// The last good value keeps serving: Auth0 will say if it is wrong.
		if v, err := s.Get(context.Background()); err != nil || v != "v1" {
			t.Fatalf("Get after failed Refresh = %q, %v", v, err)
		}
		if _, err := secret.NewStore(f, arn).Get(context.Background()); !errors.Is(err, secret.ErrNotFound) {
			t.Fatalf("cold Get = %v, want ErrNotFound", err)
		}
	})

	t.Run("scheduled for deletion", func(t *testing.T) {
		arn := srv.CreateSecret(t, mototest.UniqueName(t), "v1")
		if err := srv.Call("DeleteSecret", map[string]any{"SecretId": arn, "RecoveryWindowInDays": 7}, nil); err != nil {
			t.Fatal(err)
		}
		_, err := secret.NewStore(f, arn).Get(context.Background())
		if !errors.Is(err, secret.ErrDeleted) || !strings.Contains(err.Error(), "scheduled for deletion") {
			t.Fatalf("Get error = %v, want ErrDeleted", err)
		}
	})

	t.Run("binary", func(t *testing.T) {
		arn := srv.CreateBinarySecret(t, mototest.UniqueName(t), []byte(leak))
		_, err := secret.NewStore(f, arn).Get(context.Background())
		if !errors.Is(err, secret.ErrBinary) || !strings.Contains(err.Error(), "binary") || !strings.Contains(err.Error(), arn) {
			t.Fatalf("Get error = %v, want ErrBinary naming the secret", err)
		}
		assertNoLeak(t, err)
	})
}

// TestSecretsManagerEndpointDown needs no moto: it points the SDK at
// loopback ports that refuse or never answer, and checks Get fails within
// its timeout instead of waiting on SDK retries.
func TestSecretsManagerEndpointDown(t *testing.T) {
	const id = "auth0-client-secret"
	setEndpoint := func(t *testing.T, addr string) {
		(&mototest.Server{Endpoint: "http://" + addr}).Setenv(t)
		t.Setenv("AWS_ENDPOINT_URL", "")
	}

	t.Run("nothing listening", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		setEndpoint(t, addr)

		_, err = secret.NewStore(newSecretsManager(t), id).Get(context.Background())
		if err == nil || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), id) {
			t.Fatalf("Get error = %v; want connection refused naming %s", err, id)
		}
		// Two attempts and at most 200ms of backoff end with the refusal,
		// not with the Store's timeout.
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Get error = %v: the SDK kept retrying until the timeout", err)
		}
	})

	t.Run("never answers", func(t *testing.T) {
		// The kernel completes connections into the backlog; nobody reads.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		setEndpoint(t, l.Addr().String())

		const timeout = 500 * time.Millisecond
		start := time.Now()
		_, err = secret.NewStore(newSecretsManager(t), id, secret.WithTimeout(timeout)).Get(context.Background())
		elapsed := time.Since(start)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no answer within 500ms") {
			t.Fatalf("Get error = %v; want a timeout", err)
		}
		if elapsed < timeout {
			t.Fatalf("Get gave up after %s, before its %s timeout", elapsed, timeout)
		}
	})
}
