package secret

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Defaults for NewStore.
const (
	DefaultTimeout       = 3 * time.Second
	DefaultRetryInterval = 5 * time.Second
)

// Option configures a Store.
type Option func(*Store)

// WithTimeout bounds each fetch (default 3s), whatever the caller's context.
// Values <= 0 keep the default.
func WithTimeout(d time.Duration) Option {
	return func(s *Store) {
		if d > 0 {
			s.timeout = d
		}
	}
}

// WithRetryInterval sets the minimum time between two failed or refresh
// fetches (default 5s). 0 disables throttling; negative values keep the default.
func WithRetryInterval(d time.Duration) Option {
	return func(s *Store) {
		if d >= 0 {
			s.interval = d
		}
	}
}

// WithClock replaces time.Now for throttling decisions (tests). Fetch
// timeouts still use real time.
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.now = now
		}
	}
}

// Store caches one parsed secret. It is safe for concurrent use; concurrent
// callers that need a fetch share a single one.
type Store struct {
	f        Fetcher
	id       string
	timeout  time.Duration
	interval time.Duration
	now      func() time.Time

	// sem serialises fetches; a channel rather than a mutex so waiters can
	// give up when their context ends.
	sem chan struct{}

	mu        sync.Mutex
	value     string
	have      bool
	err       error     // outcome of the last fetch; nil if it succeeded
	notBefore time.Time // no retry-after-failure or refresh fetch before this
	gen       uint64    // completed fetches, to let waiters reuse a fresh result
}

// NewStore returns a Store that reads secret id through f.
func NewStore(f Fetcher, id string, opts ...Option) *Store {
	s := &Store{
		f:        f,
		id:       id,
		timeout:  DefaultTimeout,
		interval: DefaultRetryInterval,
		now:      time.Now,
		sem:      make(chan struct{}, 1),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// ID returns the secret's ARN or name.
func (s *Store) ID() string { return s.id }

// Get returns the cached secret, fetching it if there is none. After a failed
// fetch, calls within the retry interval return that error without fetching
// (a broken secret is not hammered); later calls fetch again, so the function
// recovers without a cold start. Errors are *Error.
func (s *Store) Get(ctx context.Context) (string, error) {
	s.mu.Lock()
	if s.have || (s.err != nil && s.now().Before(s.notBefore)) {
		defer s.mu.Unlock()
		return s.resultLocked(false)
	}
	gen := s.gen
	s.mu.Unlock()
	return s.fetch(ctx, gen, false)
}

// Refresh re-reads the secret, for when Auth0 rejects the cached one (it may
// have been rotated). It fetches at most once per retry interval; within it,
// it returns the cached value (or the last error if there is none). If the
// re-read fails, Refresh returns the error but Get keeps serving the old value.
func (s *Store) Refresh(ctx context.Context) (string, error) {
	s.mu.Lock()
	if s.now().Before(s.notBefore) {
		defer s.mu.Unlock()
		return s.resultLocked(false)
	}
	gen := s.gen
	s.mu.Unlock()
	return s.fetch(ctx, gen, true)
}

// resultLocked is what a caller gets without fetching: for Get the cached
// value if any, for Refresh the outcome of the latest fetch.
func (s *Store) resultLocked(refresh bool) (string, error) {
	if s.have && !(refresh && s.err != nil) {
		return s.value, nil
	}
	if s.err != nil {
		return "", s.err
	}
	return "", &Error{ID: s.id, Err: errors.New("no value cached")} // unreachable
}

func (s *Store) fetch(ctx context.Context, gen uint64, refresh bool) (string, error) {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return "", &Error{ID: s.id, Err: ctx.Err()}
	}
	defer func() { <-s.sem }()

	s.mu.Lock()
	if s.gen != gen {
		// Another caller fetched after we looked: its result is as fresh as
		// ours would be.
		defer s.mu.Unlock()
		return s.resultLocked(refresh)
	}
	s.mu.Unlock()

	fctx, cancel := context.WithTimeout(ctx, s.timeout)
	raw, err := s.f.Fetch(fctx, s.id)
	cancel()
	var v string
	if err == nil {
		v, err = Parse(raw)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
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
		s.notBefore = s.now().Add(s.interval)
		s.gen++
		return "", s.err
	}
	s.value, s.have, s.err = v, true, nil
	if refresh {
		s.notBefore = s.now().Add(s.interval)
	}
	s.gen++
	return v, nil
}
