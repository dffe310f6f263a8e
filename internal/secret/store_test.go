package secret_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/internal/secret"
)

const id = "arn:aws:secretsmanager:us-east-1:123456789012:secret:auth0-client-AbCdEf"

// memory is an in-memory Fetcher that counts fetches.
type memory struct {
	mu     sync.Mutex
	values map[string]string
	err    error
	calls  int
}

func (m *memory) set(id, value string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.values == nil {
		m.values = map[string]string{}
	}
	m.values[id] = value
}

func (m *memory) delete(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.values, id)
}

// fail makes every fetch return err until fail(nil).
func (m *memory) fail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.err = err
}

func (m *memory) Fetch(ctx context.Context, id string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.err != nil {
		return "", m.err
	}
	v, ok := m.values[id]
	if !ok {
		return "", secret.ErrNotFound
	}
	return v, nil
}

func (m *memory) wantCalls(t *testing.T, n int) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.calls != n {
		t.Fatalf("fetches = %d, want %d", m.calls, n)
	}
}

type fetcherFunc func(ctx context.Context, id string) (string, error)

func (f fetcherFunc) Fetch(ctx context.Context, id string) (string, error) { return f(ctx, id) }

// newStore returns a Store whose clock moves only when the test calls
// advance.
func newStore(f secret.Fetcher, opts ...secret.Option) (s *secret.Store, advance func(time.Duration)) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s = secret.NewStore(f, id, append(opts, secret.WithClock(func() time.Time { return now }))...)
	return s, func(d time.Duration) { now = now.Add(d) }
}

func mustGet(t *testing.T, s *secret.Store, want string) {
	t.Helper()
	got, err := s.Get(context.Background())
	if err != nil || got != want {
		t.Fatalf("Get = %q, %v; want %q", got, err, want)
	}
}

func mustRefresh(t *testing.T, s *secret.Store, want string) {
	t.Helper()
	got, err := s.Refresh(context.Background())
	if err != nil || got != want {
		t.Fatalf("Refresh = %q, %v; want %q", got, err, want)
	}
}

func wantErr(t *testing.T, err error, target error) *secret.Error {
	t.Helper()
	if err == nil {
		t.Fatal("got nil error")
	}
	var se *secret.Error
	if !errors.As(err, &se) || se.ID != id {
		t.Fatalf("error %v is not a *secret.Error for %q", err, id)
	}
	if target != nil && !errors.Is(err, target) {
		t.Fatalf("error %v is not %v", err, target)
	}
	assertNoLeak(t, err)
	return se
}

func TestStoreCaches(t *testing.T) {
	m := &memory{}
	m.set(id, `{"client_secret":"v1"}`)
	s, advance := newStore(m)
	mustGet(t, s, "v1")
	m.set(id, "v2")
	advance(time.Hour)
	mustGet(t, s, "v1")
	m.wantCalls(t, 1)
}

func TestStoreThrottlesFailuresThenRecovers(t *testing.T) {
	m := &memory{}
	s, advance := newStore(m)
	_, err := s.Get(context.Background())
	first := wantErr(t, err, secret.ErrNotFound)
	m.wantCalls(t, 1)

	m.set(id, leak) // fixed, but not yet due for a retry
	advance(secret.RetryInterval - time.Millisecond)
	_, err = s.Get(context.Background())
	if se := wantErr(t, err, secret.ErrNotFound); se != first {
		t.Errorf("throttled Get returned a new error %v, want the last one", se)
	}
	m.wantCalls(t, 1)

	advance(time.Millisecond)
	mustGet(t, s, leak)
	m.wantCalls(t, 2)
}

func TestStoreThrottlesFetcherErrors(t *testing.T) {
	m := &memory{}
	m.set(id, "v1")
	boom := errors.New("AccessDeniedException: not allowed")
	m.fail(boom)
	s, advance := newStore(m)
	for range 3 {
		_, err := s.Get(context.Background())
		wantErr(t, err, boom)
		if !strings.Contains(err.Error(), "AccessDenied") || !strings.Contains(err.Error(), id) {
			t.Errorf("error %q: want the secret ID and the AWS error", err)
		}
	}
	m.wantCalls(t, 1)
	advance(secret.RetryInterval)
	_, err := s.Get(context.Background())
	wantErr(t, err, boom)
	m.wantCalls(t, 2)
	m.fail(nil)
	advance(secret.RetryInterval)
	mustGet(t, s, "v1")
}

func TestStoreInvalidValueIsAFailure(t *testing.T) {
	m := &memory{}
	m.set(id, `{"client_id":"x","password":"`+leak+`"}`)
	s, advance := newStore(m)
	for range 2 {
		_, err := s.Get(context.Background())
		wantErr(t, err, secret.ErrInvalid)
	}
	m.wantCalls(t, 1)
	m.set(id, `{"client_secret":"`+leak+`"}`)
	advance(secret.RetryInterval)
	mustGet(t, s, leak)
}

func TestStoreRefresh(t *testing.T) {
	m := &memory{}
	m.set(id, "v1")
	s, advance := newStore(m)
	mustGet(t, s, "v1")
	m.set(id, "v2") // rotated
	mustGet(t, s, "v1")
	mustRefresh(t, s, "v2")
	mustGet(t, s, "v2")
	m.wantCalls(t, 2)

	// A second rejection right away must not re-read: cached value.
	m.set(id, "v3")
	advance(secret.RetryInterval - time.Second)
	mustRefresh(t, s, "v2")
	m.wantCalls(t, 2)
	advance(time.Second)
	mustRefresh(t, s, "v3")
	m.wantCalls(t, 3)
}

func TestStoreRefreshFailureKeepsCachedValue(t *testing.T) {
	m := &memory{}
	m.set(id, "v1")
	s, advance := newStore(m)
	mustGet(t, s, "v1")
	m.delete(id)
	_, err := s.Refresh(context.Background())
	wantErr(t, err, secret.ErrNotFound)
	mustGet(t, s, "v1")
	mustRefresh(t, s, "v1") // throttled: the cached value, no fetch
	m.wantCalls(t, 2)
	m.set(id, "v2")
	advance(secret.RetryInterval)
	mustRefresh(t, s, "v2")
}

func TestStoreRefreshWithoutValue(t *testing.T) {
	m := &memory{}
	s, advance := newStore(m)
	_, err := s.Refresh(context.Background())
	wantErr(t, err, secret.ErrNotFound)
	_, err = s.Refresh(context.Background()) // throttled: last error
	wantErr(t, err, secret.ErrNotFound)
	_, err = s.Get(context.Background())
	wantErr(t, err, secret.ErrNotFound)
	m.wantCalls(t, 1)
	m.set(id, "v1")
	advance(secret.RetryInterval)
	mustGet(t, s, "v1")
}

// hang blocks until the fetch's context ends.
var hang = fetcherFunc(func(ctx context.Context, _ string) (string, error) {
	<-ctx.Done()
	return "", ctx.Err()
})

func TestStoreTimeoutBoundsEachFetch(t *testing.T) {
	s, _ := newStore(hang, secret.WithTimeout(50*time.Millisecond))
	_, err := s.Get(context.Background()) // no deadline from the caller
	wantErr(t, err, context.DeadlineExceeded)
	if !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Errorf("error %q does not say it timed out", err)
	}
}

func TestStoreCallerCancelIsNotThrottled(t *testing.T) {
	var broken atomic.Bool
	broken.Store(true)
	f := fetcherFunc(func(ctx context.Context, id string) (string, error) {
		if broken.Load() {
			return hang(ctx, id)
		}
		return "v1", nil
	})
	s, _ := newStore(f)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Get(ctx)
	wantErr(t, err, context.Canceled)
	// The caller's own cancellation says nothing about the secret: fetch
	// again now.
	broken.Store(false)
	mustGet(t, s, "v1")
}

// TestStoreConcurrentCallers: callers queue (cmd/dev serves requests
// concurrently); the first fetches, the others get its result.
func TestStoreConcurrentCallers(t *testing.T) {
	m := &memory{}
	s, _ := newStore(m)
	for i, call := range []func(context.Context) (string, error){s.Get, s.Refresh} {
		want := fmt.Sprint("v", i+1)
		m.set(id, want)
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				if v, err := call(context.Background()); err != nil || v != want {
					t.Errorf("call %d = %q, %v; want %q", i, v, err, want)
				}
			})
		}
		wg.Wait()
		m.wantCalls(t, i+1)
	}
}

func TestOpenRefusesBadIDs(t *testing.T) {
	for in, want := range map[string]string{
		"":   "not set",
		"  ": "not set",
		"arn:aws:ssm:us-east-1:123456789012:parameter/x": "not a Secrets Manager ARN",
		"auth0 client secret":                            "contains white space",
	} {
		if _, err := secret.Open(in); err == nil || !strings.Contains(err.Error(), secret.EnvID+": "+want) {
			t.Errorf("Open(%q) = %v, want %q", in, err, want)
		}
	}
}
