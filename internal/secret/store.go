package secret

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

const (
	// DefaultTimeout bounds each fetch, whatever the caller's context.
	DefaultTimeout = 3 * time.Second
	// RetryInterval is the least time between a failed fetch and the next,
	// and between two refreshes.
	RetryInterval = 5 * time.Second
)

// Option configures a Store.
type Option func(*Store)

// WithTimeout replaces DefaultTimeout.
func WithTimeout(d time.Duration) Option { return func(s *Store) { s.timeout = d } }

// WithClock replaces time.Now for the retry interval (tests). Fetch
// timeouts still use real time.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// Store caches one parsed secret. A Lambda instance serves one request at a
// time, so callers simply queue on one lock; a fetch is bounded, and so is
// the wait.
type Store struct {
	fetcher Fetcher
	id      string
	timeout time.Duration
	now     func() time.Time

	mu        sync.Mutex
	value     string    // "" until a fetch succeeds: Parse never returns ""
	err       error     // the last fetch's failure; nil after a success
	notBefore time.Time // no fetch after a failure, and no refresh, before this
}

// NewStore returns a Store that reads secret id through f.
func NewStore(f Fetcher, id string, opts ...Option) *Store {
	s := &Store{fetcher: f, id: id, timeout: DefaultTimeout, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Get returns the cached secret, fetching it if there is none. After a
// failed fetch, calls within RetryInterval return that error without
// fetching (a broken secret is not hammered); later calls fetch again, so
// the function recovers without a cold start. Errors are *Error.
func (s *Store) Get(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.value != "" {
		return s.value, nil
	}
	if s.err != nil && s.now().Before(s.notBefore) {
		return "", s.err
	}
	return s.fetch(ctx, false)
}

// Refresh re-reads the secret, for when Auth0 rejects the cached one (it may
// have been rotated). It fetches at most once per RetryInterval; within it,
// it returns the cached value, or the last error if there is none. If the
// re-read fails, Refresh returns the error but Get keeps serving the old
// value.
func (s *Store) Refresh(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.now().Before(s.notBefore) {
		if s.value != "" {
			return s.value, nil
		}
		return "", s.err
	}
	return s.fetch(ctx, true)
}

func (s *Store) fetch(ctx context.Context, refresh bool) (string, error) {
	fctx, cancel := context.WithTimeout(ctx, s.timeout)
	raw, err := s.fetcher.Fetch(fctx, s.id)
	cancel()
	var v string
	if err == nil {
		v, err = Parse(raw)
	}
	if err != nil {
		if ctx.Err() != nil {
			// The caller gave up; that says nothing about the secret, so
			// neither record nor throttle.
			return "", &Error{ID: s.id, Err: err}
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %s: %w", s.timeout, err)
		}
		s.err = &Error{ID: s.id, Err: err}
		s.notBefore = s.now().Add(RetryInterval)
		return "", s.err
	}
	s.value, s.err = v, nil
	if refresh {
		s.notBefore = s.now().Add(RetryInterval)
	}
	return v, nil
}
