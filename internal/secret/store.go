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

// Option configures a Store or a ClientStore.
type Option func(*settings)

type settings struct {
	timeout time.Duration
	now     func() time.Time
}

// WithTimeout replaces DefaultTimeout.
func WithTimeout(d time.Duration) Option { return func(s *settings) { s.timeout = d } }

// WithClock replaces time.Now for the retry interval (tests). Fetch
// timeouts still use real time.
func WithClock(now func() time.Time) Option { return func(s *settings) { s.now = now } }

// Cache caches one secret, parsed into a T. A Lambda instance serves one
// request at a time, so callers simply queue on one lock; a fetch is
// bounded, and so is the wait.
type Cache[T comparable] struct {
	fetcher Fetcher
	id      string
	parse   func(raw string) (T, error)
	settings

	mu        sync.Mutex
	value     T         // the zero T until a fetch succeeds: parse never returns it
	err       error     // the last fetch's failure; nil after a success
	notBefore time.Time // no fetch after a failure, and no refresh, before this
}

// Store caches the application's client secret (see Parse).
type Store = Cache[string]

func newCache[T comparable](f Fetcher, id string, parse func(string) (T, error), opts []Option) *Cache[T] {
	c := &Cache[T]{fetcher: f, id: id, parse: parse, settings: settings{timeout: DefaultTimeout, now: time.Now}}
	for _, o := range opts {
		o(&c.settings)
	}
	return c
}

// NewStore returns a Store that reads secret id through f.
func NewStore(f Fetcher, id string, opts ...Option) *Store {
	return newCache(f, id, Parse, opts)
}

// Get returns the cached secret, fetching it if there is none. After a
// failed fetch, calls within RetryInterval return that error without
// fetching (a broken secret is not hammered); later calls fetch again, so
// the function recovers without a cold start. Errors are *Error.
func (s *Cache[T]) Get(ctx context.Context) (T, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var zero T
	if s.value != zero {
		return s.value, nil
	}
	if s.err != nil && s.now().Before(s.notBefore) {
		return zero, s.err
	}
	return s.fetch(ctx, false)
}

// Refresh re-reads the secret, for when Auth0 rejects the cached one (it may
// have been rotated). It fetches at most once per RetryInterval; within it,
// it returns the cached value, or the last error if there is none. If the
// re-read fails, Refresh returns the error but Get keeps serving the old
// value.
func (s *Cache[T]) Refresh(ctx context.Context) (T, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.now().Before(s.notBefore) {
		var zero T
		if s.value != zero {
			return s.value, nil
		}
		return zero, s.err
	}
	return s.fetch(ctx, true)
}

func (s *Cache[T]) fetch(ctx context.Context, refresh bool) (T, error) {
	fctx, cancel := context.WithTimeout(ctx, s.timeout)
	raw, err := s.fetcher.Fetch(fctx, s.id)
	cancel()
	var v, zero T
	if err == nil {
		v, err = s.parse(raw)
	}
	if err != nil {
		if ctx.Err() != nil {
			// The caller gave up; that says nothing about the secret, so
			// neither record nor throttle.
			return zero, &Error{ID: s.id, Err: err}
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %s: %w", s.timeout, err)
		}
		s.err = &Error{ID: s.id, Err: err}
		s.notBefore = s.now().Add(RetryInterval)
		return zero, s.err
	}
	s.value, s.err = v, nil
	if refresh {
		s.notBefore = s.now().Add(RetryInterval)
	}
	return v, nil
}
