package auth0test

import (
	"bytes"
	"crypto/cipher"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
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
	// RateLimit is the most requests per second per Authentication API
	// endpoint; 0 = unlimited.
	RateLimit int
	// TokenTTL is the access token lifetime; default 24h (expires_in 86400).
	TokenTTL time.Duration

	// DenyOfflineAccess is the API without "Allow Offline Access": logins
	// asking for offline_access get no refresh token and a scope without
	// offline_access, silently, as Auth0 answers.
	DenyOfflineAccess bool
	// NonRotatingRefreshTokens turns refresh-token rotation off: a refresh
	// answers without a new refresh token and the old one stays valid.
	// Rotation (with reuse detection) is the default here, unlike a new
	// Auth0 Regular Web App, so clients are made to store the token each
	// refresh returns; set this to test against a non-rotating tenant.
	NonRotatingRefreshTokens bool
	// RotationLeeway is the rotation overlap period: within it the token
	// just rotated may be exchanged again (the family forks) instead of
	// counting as reuse. Default 0, Auth0's default.
	RotationLeeway time.Duration
	// RefreshTokenLifetime is the absolute lifetime of a refresh-token
	// family, not extended by rotation; default 30 days, Auth0's default.
	RefreshTokenLifetime time.Duration
	// RevocationDeletesGrant is the tenant setting "Refresh Token Revocation
	// Deletes Grant": /oauth/revoke then revokes every refresh token of the
	// user for the application and API, not only the token's own family.
	// Off by default, as for tenants created after January 2021.
	RevocationDeletesGrant bool

	// MFARequired is the tenant's MFA policy "Always": every correct
	// password login answers 403 mfa_required. SetMFA overrides it per
	// user.
	MFARequired bool

	// M2M is a machine-to-machine application that may use the
	// client_credentials grant, for the Management API and for Audience.
	M2M M2MClient
	// ManagementRateLimit is the most Management API requests per second,
	// all endpoints together (Auth0 limits the Management API per tenant);
	// 0 = unlimited.
	ManagementRateLimit int

	// MaxRequests is how many requests Requests keeps (the most recent);
	// default 1000, negative keeps none.
	MaxRequests int
	// Clock is the server's time for everything it dates: tokens, expiries,
	// TOTP steps, polling and rate-limit windows. Default time.Now. Tests
	// inject a fake clock to expire tokens without waiting.
	Clock func() time.Time
	// OnMessage, when set, gets every email or SMS the tenant sends
	// (password reset, email verification, MFA codes), outside any lock.
	// make dev prints them. Messages keeps them too.
	OnMessage func(Message)

	// Addr is the listen address; default "127.0.0.1:0".
	Addr string
	// Logf, when set, gets one line per request (method, path, status,
	// error code; never credentials). make dev passes log.Printf.
	Logf func(format string, args ...any)
}

// M2MClient is a machine-to-machine application and its client grants.
type M2MClient struct {
	ID     string // default "test-m2m-client-id"
	Secret string // default "test-m2m-client-secret"
	// Scopes are granted on the Management API (<URL>/api/v2/). nil means
	// the default read:users, delete:users, update:users; an empty,
	// non-nil slice means no client grant for the Management API at all.
	Scopes []string
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
	def(&c.M2M.ID, "test-m2m-client-id")
	def(&c.M2M.Secret, "test-m2m-client-secret")
	if c.M2M.Scopes == nil {
		c.M2M.Scopes = []string{"read:users", "delete:users", "update:users"}
	} else {
		c.M2M.Scopes = slices.Clone(c.M2M.Scopes)
	}
	if c.MaxFailedLogins == 0 {
		c.MaxFailedLogins = 10
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = 24 * time.Hour
	}
	if c.RefreshTokenLifetime <= 0 {
		c.RefreshTokenLifetime = 30 * 24 * time.Hour
	}
	if c.MaxRequests == 0 {
		c.MaxRequests = 1000
	}
	return c
}

// Request is one request the server received, as Requests reports it.
// Credentials are redacted: see Redacted.
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
	sealer    cipher.AEAD // seals mfa_tokens; used under mu

	mu       sync.Mutex
	closing  bool
	secret   string
	users    map[string]*user   // by lower-case email
	byID     map[string]*user   // by _id (without "auth0|")
	blocked  map[string]bool    // lower-case email
	mfa      map[string]bool    // per-user MFA override, lower-case email
	leaked   map[string]bool    // password
	failures map[attempt]*count // failed logins, bounded: see bounded.go
	key      *signingKey        // signs new tokens
	prevKey  *signingKey        // still in the JWKS after a rotation
	requests ring[Request]
	messages ring[Message]
	notify   []Message              // sent, not yet given to Config.OnMessage
	faults   map[string]*faultState // by path
	windows  map[string]*window     // rate-limit windows by path
	refresh  refreshStore
	codes    map[string]*authCode // by code
	oobs     map[string]*oobChallenge
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
		sealer:   newSealer(),
		secret:   cfg.ClientSecret,
		users:    map[string]*user{},
		byID:     map[string]*user{},
		blocked:  map[string]bool{},
		mfa:      map[string]bool{},
		leaked:   map[string]bool{},
		failures: map[attempt]*count{},
		key:      sharedKey(),
		requests: newRing[Request](cfg.MaxRequests),
		messages: newRing[Message](maxMessages),
		faults:   map[string]*faultState{},
		windows:  map[string]*window{},
		refresh:  newRefreshStore(),
		codes:    map[string]*authCode{},
		oobs:     map[string]*oobChallenge{},
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

// ManagementAudience is the Management API's identifier, "<URL>/api/v2/".
func (s *Server) ManagementAudience() string { return s.URL + "/api/v2/" }

// Config returns the effective configuration, defaults filled in and with
// the current client secret.
func (s *Server) Config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cfg
	c.ClientSecret = s.secret
	c.M2M.Scopes = slices.Clone(c.M2M.Scopes)
	return c
}

// now is the server's clock.
func (s *Server) now() time.Time {
	if s.cfg.Clock != nil {
		return s.cfg.Clock()
	}
	return time.Now()
}

// Requests returns the requests received so far, oldest first: the most
// recent Config.MaxRequests of them, credentials redacted.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests.all()
}

// ResetRequests empties the request log.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests.reset()
}

// maxBody bounds what is read of a request; Auth0 calls are tiny.
const maxBody = 1 << 20

const jsonType = "application/json; charset=utf-8"

// reply is a handler's answer; serve writes it.
type reply struct {
	status int
	body   any         // encoded as JSON, unless it is a rawBody
	header http.Header // added to the response; may be nil
}

// rawBody is an answer sent as is: an empty 200, a 204, a text body.
type rawBody struct {
	contentType string // none when empty
	data        string
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

// list reads a parameter that JSON sends as an array of strings; a form
// repeats it or sends it space separated.
func (p params) list(name string) []string {
	if p.form != nil {
		var out []string
		for _, v := range p.form[name] {
			out = append(out, strings.Fields(v)...)
		}
		return out
	}
	switch v := p.json[name].(type) {
	case string:
		return strings.Fields(v)
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
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
	s.deliver()
	for k, v := range rep.header {
		w.Header()[k] = v
	}
	if raw, ok := rep.body.(rawBody); ok {
		if raw.contentType != "" {
			w.Header().Set("Content-Type", raw.contentType)
		}
		w.WriteHeader(rep.status)
		io.WriteString(w, raw.data) //nolint:errcheck // client gone
	} else {
		writeJSON(w, rep.status, rep.body)
	}
	if s.cfg.Logf != nil {
		s.cfg.Logf("auth0test: %s %s -> %d %s", r.Method, r.URL.Path, rep.status, errorCode(rep.body))
	}
}

// record parses the body and appends the request, redacted, to the log.
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
	if s.cfg.MaxRequests < 0 {
		return p
	}
	req := Request{
		Method: r.Method, Path: r.URL.Path, Header: redactHeader(r.Header),
		Form: redactForm(p.form), JSON: redactJSON(p.json), RemoteAddr: r.RemoteAddr, At: s.now(),
	}
	s.mu.Lock()
	s.requests.add(req)
	s.mu.Unlock()
	return p
}

func (s *Server) route(r *http.Request, p params) reply {
	path := r.URL.Path
	if strings.HasPrefix(path, mgmtPrefix) {
		return s.management(r, p)
	}
	var h func() reply
	switch {
	case r.Method == http.MethodPost && path == "/dbconnections/signup":
		h = func() reply { return s.signup(p) }
	case r.Method == http.MethodPost && path == "/dbconnections/change_password":
		h = func() reply { return s.changePassword(p) }
	case r.Method == http.MethodPost && path == "/oauth/token":
		h = func() reply { return s.token(r, p) }
	case r.Method == http.MethodPost && path == "/oauth/revoke":
		h = func() reply { return s.revoke(p) }
	case r.Method == http.MethodGet && path == "/mfa/authenticators":
		h = func() reply { return s.listAuthenticators(r) }
	case r.Method == http.MethodPost && path == "/mfa/associate":
		h = func() reply { return s.associate(r, p) }
	case r.Method == http.MethodPost && path == "/mfa/challenge":
		h = func() reply { return s.challenge(p) }
	}
	if h != nil {
		return s.limited(path, h)
	}
	if r.Method == http.MethodGet && path == "/.well-known/jwks.json" {
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
