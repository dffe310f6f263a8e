package secret

import (
	"context"
	"sync"
)

// Memory is an in-memory Fetcher for tests. The zero value is ready to use
// and safe for concurrent use.
type Memory struct {
	mu     sync.Mutex
	values map[string]string
	err    error
	calls  int
}

var _ Fetcher = (*Memory)(nil)

// Set stores value under id.
func (m *Memory) Set(id, value string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.values == nil {
		m.values = make(map[string]string)
	}
	m.values[id] = value
}

// Delete removes id; later fetches of it return ErrNotFound.
func (m *Memory) Delete(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.values, id)
}

// Fail makes every fetch return err until Fail(nil).
func (m *Memory) Fail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.err = err
}

// Calls reports how many times Fetch was called.
func (m *Memory) Calls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls
}

// Fetch implements Fetcher.
func (m *Memory) Fetch(ctx context.Context, id string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if m.err != nil {
		return "", m.err
	}
	v, ok := m.values[id]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}
