package auth0test

import (
	"net/http"
	"strconv"
)

// window counts one endpoint's requests in one wall-clock second.
type window struct {
	second int64
	n      int
}

// limited applies Config.RateLimit to an Authentication API endpoint:
// every answer carries the x-ratelimit-* headers, and requests over the
// limit get 429 too_many_requests instead of next(). Only the API
// endpoints are limited, so verifier tests can fetch the JWKS however tight
// the limit.
func (s *Server) limited(path string, next func() reply) reply {
	return s.rateLimit(path, s.cfg.RateLimit,
		oauthErr(http.StatusTooManyRequests, "too_many_requests", descTooManyRequests), next)
}

// rateLimit counts a request against key's window of one second and
// answers over instead of next() past limit (0 = unlimited).
func (s *Server) rateLimit(key string, limit int, over reply, next func() reply) reply {
	if limit <= 0 {
		return next()
	}
	s.mu.Lock()
	now := s.now().Unix()
	w := s.windows[key]
	if w == nil || w.second != now {
		w = &window{second: now}
		s.windows[key] = w
	}
	w.n++
	n := w.n
	s.mu.Unlock()

	h := http.Header{}
	h.Set("X-Ratelimit-Limit", strconv.Itoa(limit))
	h.Set("X-Ratelimit-Remaining", strconv.Itoa(max(limit-n, 0)))
	h.Set("X-Ratelimit-Reset", strconv.FormatInt(now+1, 10)) // UTC epoch seconds
	rep := over
	if n <= limit {
		rep = next()
	}
	if rep.header == nil {
		rep.header = http.Header{}
	}
	for k, v := range h {
		rep.header[k] = v
	}
	return rep
}
