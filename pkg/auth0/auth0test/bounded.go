package auth0test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// The server runs for hours under make dev and for 60,000-request tests, so
// everything it keeps per request is bounded: the request log and the
// outbox are rings, and per-attempt counters are capped.

// ring keeps the last n values added.
type ring[T any] struct {
	buf  []T
	next int  // where the next value goes
	full bool // buf has wrapped
}

func newRing[T any](n int) ring[T] { return ring[T]{buf: make([]T, max(n, 0))} }

func (r *ring[T]) add(v T) {
	if len(r.buf) == 0 {
		return
	}
	r.buf[r.next] = v
	r.next = (r.next + 1) % len(r.buf)
	r.full = r.full || r.next == 0
}

// all returns the values oldest first.
func (r *ring[T]) all() []T {
	if !r.full {
		return slices.Clone(r.buf[:r.next])
	}
	return append(slices.Clone(r.buf[r.next:]), r.buf[:r.next]...)
}

func (r *ring[T]) len() int {
	if r.full {
		return len(r.buf)
	}
	return r.next
}

func (r *ring[T]) reset() {
	clear(r.buf)
	r.next, r.full = 0, false
}

const (
	// maxMessages bounds Messages.
	maxMessages = 1000
	// maxFailureEntries bounds the brute-force counters: one per
	// (identifier, IP) pair that failed since its last success.
	maxFailureEntries = 10000
)

// count is a brute-force counter.
type count struct {
	n    int
	last time.Time
}

// failLocked counts a failed login for key, first making room if the
// counters are full: counters below the threshold go first, oldest first,
// then blocked ones. An attacker who sprays 10,000 other pairs can thus
// unblock a pair; Auth0 has no such cap, but a test server must not grow
// without bound.
func (s *Server) failLocked(key attempt, limit int) {
	c := s.failures[key]
	if c == nil {
		if len(s.failures) >= maxFailureEntries {
			s.evictFailuresLocked(limit)
		}
		c = &count{}
		s.failures[key] = c
	}
	c.n++
	c.last = s.now()
}

// evictFailuresLocked drops a quarter of the counters.
func (s *Server) evictFailuresLocked(limit int) {
	type entry struct {
		key     attempt
		blocked bool
		last    time.Time
	}
	all := make([]entry, 0, len(s.failures))
	for k, c := range s.failures {
		all = append(all, entry{k, c.n >= limit, c.last})
	}
	slices.SortFunc(all, func(a, b entry) int {
		if a.blocked != b.blocked {
			if a.blocked {
				return 1
			}
			return -1
		}
		return a.last.Compare(b.last)
	})
	for _, e := range all[:len(all)/4] {
		delete(s.failures, e.key)
	}
}

// --- redaction of the request log ---

// secretFields are the parameters Requests never shows in clear.
var secretFields = map[string]bool{
	"password": true, "new_password": true, "client_secret": true, "client_assertion": true,
	"refresh_token": true, "access_token": true, "id_token": true, "token": true, "subject_token": true,
	"code": true, "code_verifier": true, "otp": true, "mfa_token": true, "oob_code": true,
	"binding_code": true, "recovery_code": true,
}

// secretHeaders are the request headers Requests never shows in clear.
var secretHeaders = []string{"Authorization", "Cookie"}

// redactKey keys the digests. It is per process, so a digest cannot be
// looked up in a table made elsewhere.
var redactKey = randomBytes(32)

// Redacted is what Requests shows instead of a credential: "redacted:"
// and the first 16 hex digits of a keyed SHA-256 digest of value ("" stays
// ""). Equal credentials give equal digests within one process, so tests
// can still check which secret or password was sent:
//
//	req.Form.Get("client_secret") == auth0test.Redacted(secret)
//
// Redacted fields: password, new_password, client_secret,
// client_assertion, refresh_token, access_token, id_token, token,
// subject_token, code, code_verifier, otp, mfa_token, oob_code,
// binding_code, recovery_code; headers Authorization and Cookie.
func Redacted(value string) string {
	if value == "" {
		return ""
	}
	m := hmac.New(sha256.New, redactKey)
	m.Write([]byte(value))
	return "redacted:" + hex.EncodeToString(m.Sum(nil))[:16]
}

func redactHeader(h http.Header) http.Header {
	out := h.Clone()
	for _, name := range secretHeaders {
		if vs := out.Values(name); len(vs) > 0 {
			red := make([]string, len(vs))
			for i, v := range vs {
				red[i] = Redacted(v)
			}
			out[http.CanonicalHeaderKey(name)] = red
		}
	}
	return out
}

func redactForm(f url.Values) url.Values {
	if f == nil {
		return nil
	}
	out := make(url.Values, len(f))
	for k, vs := range f {
		vs = slices.Clone(vs)
		if secretFields[k] {
			for i, v := range vs {
				vs[i] = Redacted(v)
			}
		}
		out[k] = vs
	}
	return out
}

// redactJSON redacts the top-level secret fields, whatever their type; a
// non-string value is redacted as its JSON text.
func redactJSON(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		if secretFields[k] && v != nil {
			s, ok := v.(string)
			if !ok {
				b, _ := json.Marshal(v)
				s = string(b)
			}
			v = Redacted(s)
		}
		out[k] = v
	}
	return out
}
