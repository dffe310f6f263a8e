package auth0test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestManyBadLoginsKeepMemoryBounded replays issue 13: 60,000 failed
// logins from distinct (user, IP) pairs used to keep every request and a
// counter per pair forever. It counts what the server retains. The
// requests go straight to the handler: the TCP stack is not under test.
func TestManyBadLoginsKeepMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("60,000 requests")
	}
	s := NewServer(Config{})
	defer s.Close()
	cfg := s.Config()
	const n = 60000
	for i := range n {
		f := url.Values{
			"grant_type": {passwordRealmGrant}, "realm": {cfg.Connection}, "client_id": {cfg.ClientID},
			"client_secret": {cfg.ClientSecret}, "username": {fmt.Sprintf("u%d@example.com", i)}, "password": {"wrong"},
		}
		r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(f.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Auth0-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255))
		w := httptest.NewRecorder()
		s.srv.Handler.ServeHTTP(w, r)
		if w.Code != http.StatusForbidden {
			t.Fatalf("request %d: %d %s", i, w.Code, w.Body)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if got := s.requests.len(); got != cfg.MaxRequests {
		t.Errorf("%d requests kept, want the last %d", got, cfg.MaxRequests)
	}
	if got := len(s.failures); got > maxFailureEntries || got < maxFailureEntries/2 {
		t.Errorf("%d brute-force counters kept, want at most %d", got, maxFailureEntries)
	}
	// The newest are kept.
	last := s.requests.all()[cfg.MaxRequests-1]
	if last.Form.Get("username") != fmt.Sprintf("u%d@example.com", n-1) {
		t.Errorf("last request kept is for %q", last.Form.Get("username"))
	}
}

// TestEvictionKeepsBlockedPairsLongest: when the counters are full, those
// below the threshold go first.
func TestEvictionKeepsBlockedPairsLongest(t *testing.T) {
	s := NewServer(Config{MaxFailedLogins: 2})
	defer s.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	blocked := attempt{"victim@example.com", "192.0.2.1"}
	s.failLocked(blocked, 2)
	s.failLocked(blocked, 2)
	for i := range maxFailureEntries + 10 {
		s.failLocked(attempt{fmt.Sprint(i), "198.51.100.1"}, 2)
	}
	if c := s.failures[blocked]; c == nil || c.n != 2 {
		t.Errorf("blocked pair evicted: %+v", c)
	}
	if len(s.failures) > maxFailureEntries {
		t.Errorf("%d counters", len(s.failures))
	}
}

func TestRing(t *testing.T) {
	r := newRing[int](3)
	if got := r.all(); len(got) != 0 {
		t.Errorf("empty: %v", got)
	}
	for i := range 5 {
		r.add(i)
	}
	if got := fmt.Sprint(r.all()); got != "[2 3 4]" {
		t.Errorf("all = %s", got)
	}
	r.reset()
	r.add(7)
	if got := fmt.Sprint(r.all()); got != "[7]" || r.len() != 1 {
		t.Errorf("after reset: %s", got)
	}
	none := newRing[int](-1)
	none.add(1)
	if none.len() != 0 {
		t.Error("a zero ring kept a value")
	}
}
