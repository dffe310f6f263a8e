package secret_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/internal/secret"
)

const id = "arn:aws:secretsmanager:us-east-1:123456789012:secret:auth0-client-AbCdEf"

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fetcherFunc func(ctx context.Context, id string) (string, error)

func (f fetcherFunc) Fetch(ctx context.Context, id string) (string, error) { return f(ctx, id) }

func newStore(f secret.Fetcher, opts ...secret.Option) (*secret.Store, *fakeClock) {
	clk := newClock()
	return secret.NewStore(f, id, append([]secret.Option{secret.WithClock(clk.Now)}, opts...)...), clk
}

func mustGet(t *testing.T, s *secret.Store, want string) {
	t.Helper()
	got, err := s.Get(context.Background())
	if err != nil || got != want {
		t.Fatalf("Get = %q, %v; want %q", got, err, want)
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

func wantCalls(t *testing.T, m *secret.Memory, n int) {
	t.Helper()
	if got := m.Calls(); got != n {
		t.Fatalf("fetches = %d, want %d", got, n)
	}
}

func TestStoreCaches(t *testing.T) {
	m := &secret.Memory{}
	m.Set(id, `{"client_secret":"v1"}`)
	s, clk := newStore(m)
	mustGet(t, s, "v1")
	m.Set(id, "v2")
	clk.Advance(time.Hour)
	mustGet(t, s, "v1")
	wantCalls(t, m, 1)
}

func TestStoreThrottlesFailuresThenRecovers(t *testing.T) {
	m := &secret.Memory{}
	s, clk := newStore(m, secret.WithRetryInterval(5*time.Second))

	_, err := s.Get(context.Background())
	first := wantErr(t, err, secret.ErrNotFound)
	wantCalls(t, m, 1)

	m.Set(id, leak) // fixed, but not yet due for a retry
	clk.Advance(4999 * time.Millisecond)
	_, err = s.Get(context.Background())
	if se := wantErr(t, err, secret.ErrNotFound); se != first {
		t.Errorf("throttled Get returned a new error %v, want the last one", se)
	}
	wantCalls(t, m, 1)

	clk.Advance(time.Millisecond)
	mustGet(t, s, leak)
	wantCalls(t, m, 2)
}

func TestStoreThrottlesFetcherErrors(t *testing.T) {
	m := &secret.Memory{}
	m.Set(id, "v1")
	boom := errors.New("AccessDeniedException: not allowed")
	m.Fail(boom)
	s, clk := newStore(m, secret.WithRetryInterval(time.Second))
	for range 3 {
		_, err := s.Get(context.Background())
		wantErr(t, err, boom)
		if !strings.Contains(err.Error(), "AccessDenied") || !strings.Contains(err.Error(), id) {
			t.Errorf("error %q: want the secret ID and the AWS error", err)
		}
	}
	wantCalls(t, m, 1)
	clk.Advance(time.Second)
	_, err := s.Get(context.Background())
	wantErr(t, err, boom)
	wantCalls(t, m, 2)
	m.Fail(nil)
	clk.Advance(time.Second)
	mustGet(t, s, "v1")
}

func TestStoreInvalidValueIsAFailure(t *testing.T) {
	m := &secret.Memory{}
	m.Set(id, `{"client_id":"x","password":"`+leak+`"}`)
	s, clk := newStore(m)
	for range 2 {
		_, err := s.Get(context.Background())
		wantErr(t, err, secret.ErrInvalid)
	}
	wantCalls(t, m, 1)
	m.Set(id, `{"client_secret":"`+leak+`"}`)
	clk.Advance(secret.DefaultRetryInterval)
	mustGet(t, s, leak)
}

func TestStoreRefresh(t *testing.T) {
	m := &secret.Memory{}
	m.Set(id, "v1")
	s, clk := newStore(m, secret.WithRetryInterval(5*time.Second))
	mustGet(t, s, "v1")

	m.Set(id, "v2") // rotated
	mustGet(t, s, "v1")
	v, err := s.Refresh(context.Background())
	if err != nil || v != "v2" {
		t.Fatalf("Refresh = %q, %v; want v2", v, err)
	}
	mustGet(t, s, "v2")
	wantCalls(t, m, 2)

	// A second rejection right away must not re-read: cached value.
	m.Set(id, "v3")
	clk.Advance(4 * time.Second)
	if v, err := s.Refresh(context.Background()); err != nil || v != "v2" {
		t.Fatalf("throttled Refresh = %q, %v; want cached v2", v, err)
	}
	wantCalls(t, m, 2)

	clk.Advance(time.Second)
	if v, err := s.Refresh(context.Background()); err != nil || v != "v3" {
		t.Fatalf("Refresh = %q, %v; want v3", v, err)
	}
	wantCalls(t, m, 3)
}

func TestStoreRefreshFailureKeepsCachedValue(t *testing.T) {
	m := &secret.Memory{}
	m.Set(id, "v1")
	s, clk := newStore(m)
	mustGet(t, s, "v1")
	m.Delete(id)
	_, err := s.Refresh(context.Background())
	wantErr(t, err, secret.ErrNotFound)
	mustGet(t, s, "v1")
	// Throttled: the cached value, no fetch.
	if v, err := s.Refresh(context.Background()); err != nil || v != "v1" {
		t.Fatalf("throttled Refresh = %q, %v; want v1", v, err)
	}
	wantCalls(t, m, 2)
	m.Set(id, "v2")
	clk.Advance(secret.DefaultRetryInterval)
	if v, err := s.Refresh(context.Background()); err != nil || v != "v2" {
		t.Fatalf("Refresh = %q, %v; want v2", v, err)
	}
}

func TestStoreRefreshWithoutValue(t *testing.T) {
	m := &secret.Memory{}
	s, clk := newStore(m)
	_, err := s.Refresh(context.Background())
	wantErr(t, err, secret.ErrNotFound)
	_, err = s.Refresh(context.Background()) // throttled: last error
	wantErr(t, err, secret.ErrNotFound)
	_, err = s.Get(context.Background())
	wantErr(t, err, secret.ErrNotFound)
	wantCalls(t, m, 1)
	m.Set(id, "v1")
	clk.Advance(secret.DefaultRetryInterval)
	mustGet(t, s, "v1")
}

func TestStoreZeroIntervalDoesNotThrottle(t *testing.T) {
	m := &secret.Memory{}
	s, _ := newStore(m, secret.WithRetryInterval(0))
	_, err := s.Get(context.Background())
	wantErr(t, err, secret.ErrNotFound)
	m.Set(id, "v1")
	mustGet(t, s, "v1")
}

// hang blocks until the fetch's context ends.
var hang = fetcherFunc(func(ctx context.Context, _ string) (string, error) {
	<-ctx.Done()
	return "", ctx.Err()
})

func TestStoreTimeoutBoundsEachFetch(t *testing.T) {
	s, _ := newStore(hang, secret.WithTimeout(50*time.Millisecond))
	start := time.Now()
	_, err := s.Get(context.Background()) // no deadline from the caller
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Get took %s with a 50ms timeout", d)
	}
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
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := s.Get(ctx)
	wantErr(t, err, context.DeadlineExceeded)
	// The caller's own deadline says nothing about the secret: fetch again now.
	broken.Store(false)
	mustGet(t, s, "v1")
}

func TestStoreWaiterHonoursItsContext(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	f := fetcherFunc(func(ctx context.Context, _ string) (string, error) {
		close(started)
		<-release
		return "v1", nil
	})
	s, _ := newStore(f)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if v, err := s.Get(context.Background()); err != nil || v != "v1" {
			t.Errorf("first Get = %q, %v", v, err)
		}
	}()
	// Once the first fetch holds the slot, a second caller with a short
	// deadline must give up waiting instead of blocking until it ends.
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := s.Get(ctx)
	wantErr(t, err, context.DeadlineExceeded)
	close(release)
	<-done
}

func TestStoreConcurrentCallersShareOneFetch(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	value := "v1"
	f := fetcherFunc(func(ctx context.Context, _ string) (string, error) {
		calls.Add(1)
		<-release
		return value, nil
	})
	s, _ := newStore(f)

	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			var v string
			var err error
			if i%2 == 0 {
				v, err = s.Get(context.Background())
			} else {
				v, err = s.Refresh(context.Background())
			}
			if err != nil || v != "v1" {
				errs <- errors.New("got " + v)
			}
		})
	}
	time.Sleep(20 * time.Millisecond) // let them queue behind the first fetch
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// One Get fetch plus at most one Refresh fetch that started before it finished.
	if n := calls.Load(); n > 2 {
		t.Errorf("fetches = %d, want <= 2", n)
	}
}

func TestStoreConcurrentRefreshFetchesOnce(t *testing.T) {
	m := &secret.Memory{}
	m.Set(id, "v1")
	s, _ := newStore(m)
	mustGet(t, s, "v1")
	m.Set(id, "v2")
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if v, err := s.Refresh(context.Background()); err != nil || v != "v2" {
				t.Errorf("Refresh = %q, %v", v, err)
			}
		})
	}
	wg.Wait()
	wantCalls(t, m, 2)
}

func TestMemory(t *testing.T) {
	m := &secret.Memory{}
	if _, err := m.Fetch(context.Background(), "x"); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	m.Set("x", "1")
	boom := errors.New("boom")
	m.Fail(boom)
	if _, err := m.Fetch(context.Background(), "x"); !errors.Is(err, boom) {
		t.Fatalf("Fail: %v", err)
	}
	m.Fail(nil)
	if v, err := m.Fetch(context.Background(), "x"); v != "1" || err != nil {
		t.Fatalf("Fetch = %q, %v", v, err)
	}
	m.Delete("x")
	if _, err := m.Fetch(context.Background(), "x"); !errors.Is(err, secret.ErrNotFound) {
		t.Fatalf("deleted: %v", err)
	}
	wantCalls(t, m, 4)
}
