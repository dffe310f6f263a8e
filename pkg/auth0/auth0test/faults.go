package auth0test

import (
	"context"
	"net/http"
	"time"
)

// Fault is a failure injected for requests to one path. The request is
// still logged. Delay runs first; then Hang, Drop, or an answer with Status
// (and Body, Header). With none of those the request is answered normally,
// after Delay and with Header added.
type Fault struct {
	Status int         // answer with this status, Body and Header
	Body   string      // sent as is; Content-Type is JSON unless Header sets one
	Header http.Header // extra response headers
	// Delay is a pause before answering; it stops early, without an
	// answer, when the client goes away or the server closes.
	Delay time.Duration
	// Drop closes the connection without answering.
	Drop bool
	// Hang never answers, until the client goes away or the server closes.
	Hang bool
	// Times is how many requests the fault applies to; 0 means all.
	Times int
}

type faultState struct {
	f    Fault
	left int // requests left when f.Times > 0
}

// Fault injects f for requests to path ("/oauth/token",
// "/dbconnections/signup", ...), replacing any fault set on that path.
func (s *Server) Fault(path string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[path] = &faultState{f: f, left: f.Times}
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.faults)
}

// takeFault returns the fault for path, counting this request against Times.
func (s *Server) takeFault(path string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.faults[path]
	if !ok {
		return Fault{}, false
	}
	if st.f.Times > 0 {
		if st.left--; st.left == 0 {
			delete(s.faults, path)
		}
	}
	return st.f, true
}

// applyFault acts out f and reports whether the request was fully handled.
// A cut-off request gets its connection closed: returning from the handler
// would make net/http send an empty 200.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	if f.Delay > 0 && !s.sleep(r.Context(), f.Delay) {
		drop(w)
		return true
	}
	switch {
	case f.Hang:
		select {
		case <-r.Context().Done():
		case <-s.closed:
		}
		drop(w)
	case f.Drop:
		drop(w)
	case f.Status != 0:
		for k, v := range f.Header {
			w.Header()[k] = v
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", jsonType)
		}
		w.WriteHeader(f.Status)
		w.Write([]byte(f.Body)) //nolint:errcheck // client gone
	default:
		for k, v := range f.Header {
			w.Header()[k] = v
		}
		return false
	}
	if s.cfg.Logf != nil {
		s.cfg.Logf("auth0test: %s %s -> fault %+v", r.Method, r.URL.Path, f)
	}
	return true
}

// sleep waits d unless the client goes away or the server closes first.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.closed:
	}
	return false
}
