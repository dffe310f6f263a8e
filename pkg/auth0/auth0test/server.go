package auth0test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Config describes the tenant the server pretends to be. Zero fields take
// the defaults documented on each.
type Config struct {
	ClientID     string // default "test-client-id"
	ClientSecret string // default "test-client-secret"
	// Audience is the identifier of the one API the tenant knows; default
	// "https://api.example.test". A token request without audience gets it,
	// as if it were the tenant's Default Audience.
	Audience string
	// Connection is the one database connection; default
	// "Username-Password-Authentication".
	Connection string
	// GenericSignupError makes a duplicate signup answer invalid_signup
	// instead of user_exists (the tenant's anti-enumeration setting).
	GenericSignupError bool
	// MaxFailedLogins is the brute-force threshold per (user, IP); default
	// 10, negative turns brute-force protection off.
	MaxFailedLogins int
	// RateLimit is the most requests per second per endpoint; 0 = unlimited.
	RateLimit int
	// TokenTTL is the access token lifetime; default 24h (expires_in 86400).
	TokenTTL time.Duration
	// Addr is the listen address; default "127.0.0.1:0".
	Addr string
	// Logf, when set, gets one line per request (method, path, status,
	// error code; never credentials). make dev passes log.Printf.
	Logf func(format string, args ...any)
}

func (c Config) withDefaults() Config {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.ClientID, "test-client-id")
	def(&c.ClientSecret, "test-client-secret")
	def(&c.Audience, "https://api.example.test")
	def(&c.Connection, "Username-Password-Authentication")
	def(&c.Addr, "127.0.0.1:0")
	if c.MaxFailedLogins == 0 {
		c.MaxFailedLogins = 10
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = 24 * time.Hour
	}
	return c
}

// Request is one request the server received, as Requests reports it.
type Request struct {
	Method, Path string
	Header       http.Header
	Form         url.Values     // the body of a form post
	JSON         map[string]any // the body of a JSON post
	RemoteAddr   string
	At           time.Time
}

// Server is a running fake Auth0 tenant. All methods are safe for
// concurrent use.
type Server struct {
	// URL is "http://127.0.0.1:PORT", without a trailing slash.
	URL string

	cfg       Config // fixed after NewServer; the live secret is s.secret
	ln        net.Listener
	srv       *http.Server
	closed    chan struct{} // closed by Close: releases hanging faults
	closeOnce sync.Once
	inflight  sync.WaitGroup

	mu       sync.Mutex
	closing  bool
	secret   string
	users    map[string]*user // by lower-case email
	blocked  map[string]bool  // lower-case email
	mfa      map[string]bool  // lower-case email
	leaked   map[string]bool  // password
	failures map[attempt]int  // consecutive failed logins
	key      *signingKey      // signs new tokens
	prevKey  *signingKey      // still in the JWKS after a rotation
	requests []Request
	faults   map[string]*faultState // by path
	windows  map[string]*window     // rate-limit windows by path
}

// NewServer starts a server for cfg. Like httptest.NewServer it panics if
// it cannot listen.
func NewServer(cfg Config) *Server {
	cfg = cfg.withDefaults()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		panic(fmt.Sprintf("auth0test: failed to listen on %s: %v", cfg.Addr, err))
	}
	s := &Server{
		URL:      "http://" + dialAddr(ln.Addr().(*net.TCPAddr)),
		cfg:      cfg,
		ln:       ln,
		closed:   make(chan struct{}),
		secret:   cfg.ClientSecret,
		users:    map[string]*user{},
		blocked:  map[string]bool{},
		mfa:      map[string]bool{},
		leaked:   map[string]bool{},
		failures: map[attempt]int{},
		key:      sharedKey(),
		faults:   map[string]*faultState{},
		windows:  map[string]*window{},
	}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln) //nolint:errcheck // always ErrServerClosed after Close
	return s
}

// dialAddr turns a wildcard listen address (":8080") into one a client can
// dial, so URL always works.
func dialAddr(a *net.TCPAddr) string {
	ip := a.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return net.JoinHostPort(ip.String(), fmt.Sprint(a.Port))
}

// Close stops the server: hanging and delayed requests are cut off, and
// Close returns once every handler has finished. Calling it again is a no-op.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closing = true
		s.mu.Unlock()
		close(s.closed)
		s.srv.Close()
		s.inflight.Wait()
	})
}

// Issuer is the "iss" of the server's tokens; Auth0's has a trailing slash.
func (s *Server) Issuer() string { return s.URL + "/" }

// JWKSURL is where the server publishes its signing keys.
func (s *Server) JWKSURL() string { return s.URL + "/.well-known/jwks.json" }

// Config returns the effective configuration, defaults filled in and with
// the current client secret.
func (s *Server) Config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cfg
	c.ClientSecret = s.secret
	return c
}

// Requests returns every request received so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ResetRequests empties the request log.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// maxBody bounds what is read of a request; Auth0 calls are tiny.
const maxBody = 1 << 20

const jsonType = "application/json; charset=utf-8"

// reply is a handler's answer; serve writes it.
type reply struct {
	status int
	body   any
	header http.Header // added to the response; may be nil
}

// params reads a request's parameters from whichever body it had: Auth0
// accepts both form and JSON posts on its endpoints.
type params struct {
	form url.Values
	json map[string]any
}

func (p params) get(name string) string {
	if p.form != nil {
		return p.form.Get(name)
	}
	s, _ := p.json[name].(string)
	return s
}

// enter registers a handler unless the server is closing, so Close's Wait
// never races with an Add.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.inflight.Add(1)
	return true
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		drop(w)
		return
	}
	defer s.inflight.Done()
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	p := s.record(r, body)
	if f, ok := s.takeFault(r.URL.Path); ok && s.applyFault(w, r, f) {
		return
	}
	rep := s.route(r, p)
	for k, v := range rep.header {
		w.Header()[k] = v
	}
	writeJSON(w, rep.status, rep.body)
	if s.cfg.Logf != nil {
		s.cfg.Logf("auth0test: %s %s -> %d %s", r.Method, r.URL.Path, rep.status, errorCode(rep.body))
	}
}

// record parses the body and appends the request to the log.
func (s *Server) record(r *http.Request, body []byte) params {
	var p params
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/x-www-form-urlencoded":
		p.form, _ = url.ParseQuery(string(body))
		if p.form == nil {
			p.form = url.Values{}
		}
	case "application/json":
		_ = json.Unmarshal(body, &p.json)
	}
	req := Request{
		Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(),
		Form: p.form, JSON: p.json, RemoteAddr: r.RemoteAddr, At: time.Now(),
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()
	return p
}

func (s *Server) route(r *http.Request, p params) reply {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/dbconnections/signup":
		return s.limited(r.URL.Path, func() reply { return s.signup(p) })
	case r.Method == http.MethodPost && r.URL.Path == "/oauth/token":
		return s.limited(r.URL.Path, func() reply { return s.token(r, p) })
	case r.Method == http.MethodGet && r.URL.Path == "/.well-known/jwks.json":
		return reply{status: http.StatusOK, body: s.jwks()}
	}
	// Not catalogued: Auth0's 404 body; the /oauth error shape is the
	// likeliest and what clients parse anyway.
	return oauthErr(http.StatusNotFound, "not_found", "Not Found")
}

// writeJSON writes v without HTML escaping (Auth0 sends "'" and "<" as
// they are) and without json.Encoder's trailing newline.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("auth0test: encoding answer: " + err.Error())
	}
	w.Header().Set("Content-Type", jsonType)
	w.WriteHeader(status)
	w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))) //nolint:errcheck // client gone
}

// drop closes the connection without answering.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // also closes without answering
}

// lower normalizes emails and usernames: Auth0 stores emails in lower case
// and matches them case-insensitively.
func lower(s string) string { return strings.ToLower(s) }
