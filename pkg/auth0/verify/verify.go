package verify

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/auth0-sam-go/authapi/pkg/auth0"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// Defaults of the options.
const (
	DefaultRefreshInterval = 30 * time.Second
	DefaultLeeway          = 30 * time.Second
	DefaultFetchTimeout    = 5 * time.Second
	// DefaultKeyMaxAge is how often the keys are fetched again in the
	// background, so a key the tenant revoked stops verifying.
	DefaultKeyMaxAge = time.Hour
)

// MaxTokenBytes bounds what Verify will parse. Auth0 access tokens are 1-2
// KiB; API Gateway caps a header at 10 KiB.
const MaxTokenBytes = 16 << 10

// Claims is what a verified token says.
type Claims struct {
	Subject string
	// Scopes is the space-separated "scope" claim, split.
	Scopes []string
	// Permissions is Auth0's RBAC "permissions" claim, when the API adds it.
	Permissions []string
	Issuer      string
	Audience    []string
	ExpiresAt   time.Time
	// IssuedAt is zero when the token has no iat.
	IssuedAt time.Time
	// Raw holds every claim as decoded JSON (numbers are float64).
	Raw map[string]any
}

// HasScope reports whether the token was granted scope.
func (c *Claims) HasScope(scope string) bool {
	for _, s := range c.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// Verifier checks access tokens of one Auth0 tenant for one API. It is safe
// for concurrent use and meant to be built once per process.
type Verifier struct {
	issuer   string
	audience string
	parser   *jwt.Parser
	keys     keyfunc.Keyfunc
	store    *keyStore
	limiter  *rate.Limiter // spaces the fetches unknown kids cause
	interval time.Duration
}

// Option changes a Verifier's defaults.
type Option func(*settings)

type settings struct {
	ctx      context.Context
	client   *http.Client
	interval time.Duration
	leeway   time.Duration
	timeout  time.Duration
	maxAge   time.Duration
	now      func() time.Time
}

// WithContext bounds New's first fetch and the background refresh by ctx:
// once ctx is done the refresh goroutine ends. Without it the refresh lives
// as long as the process.
func WithContext(ctx context.Context) Option { return func(s *settings) { s.ctx = ctx } }

// WithHTTPClient fetches the JWKS with hc instead of a client bounded by
// DefaultFetchTimeout.
func WithHTTPClient(hc *http.Client) Option { return func(s *settings) { s.client = hc } }

// WithRefreshInterval sets the least time between two JWKS fetches caused
// by tokens with an unknown kid; one that finds the last such fetch more
// recent is refused without a fetch.
func WithRefreshInterval(d time.Duration) Option { return func(s *settings) { s.interval = d } }

// WithLeeway sets the clock skew tolerated on exp, nbf and iat.
func WithLeeway(d time.Duration) Option { return func(s *settings) { s.leeway = d } }

// WithFetchTimeout bounds one JWKS fetch; 0 or less keeps the default.
func WithFetchTimeout(d time.Duration) Option { return func(s *settings) { s.timeout = d } }

// WithKeyMaxAge sets how often the keys are fetched again in the
// background; 0 or less starts no background refresh, and the keys then
// change only when an unknown kid shows up.
func WithKeyMaxAge(d time.Duration) Option { return func(s *settings) { s.maxAge = d } }

// WithClock replaces time.Now for the checks of exp, nbf and iat.
func WithClock(now func() time.Time) Option { return func(s *settings) { s.now = now } }

// New returns a Verifier for tokens issued by issuer (the tenant origin, as
// "https://TENANT.auth0.com" or with the trailing slash Auth0 puts in iss)
// for audience. It fetches the tenant's JWKS, waiting at most the fetch
// timeout; a failure is not fatal: Verify answers jwks_unavailable until a
// fetch succeeds, the next one allowed a refresh interval later.
func New(issuer, audience string, opts ...Option) (*Verifier, error) {
	base, err := auth0.ParseIssuer(issuer)
	if err != nil {
		return nil, errors.New("verify: issuer: " + err.Error())
	}
	if strings.TrimSpace(audience) == "" {
		return nil, errors.New("verify: audience: not set")
	}
	s := settings{
		ctx:      context.Background(),
		interval: DefaultRefreshInterval,
		leeway:   DefaultLeeway,
		timeout:  DefaultFetchTimeout,
		maxAge:   DefaultKeyMaxAge,
		now:      time.Now,
	}
	for _, o := range opts {
		o(&s)
	}
	if s.timeout <= 0 {
		// It also bounds a token's wait for an unknown-kid fetch.
		s.timeout = DefaultFetchTimeout
	}
	if s.client == nil {
		s.client = auth0.NewHTTPClient()
		s.client.Timeout = s.timeout
	}
	cfg := auth0.Config{BaseURL: base}
	v := &Verifier{issuer: cfg.Issuer(), audience: audience, interval: s.interval}
	if v.keys, v.store, v.limiter, err = newKeys(s.ctx, cfg.JWKSURL(), &s); err != nil {
		return nil, errors.New("verify: " + err.Error())
	}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(v.issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(s.leeway),
		jwt.WithTimeFunc(s.now),
	)
	return v, nil
}

// Issuer is the exact "iss" tokens must carry (with the trailing slash).
func (v *Verifier) Issuer() string { return v.issuer }

// Audience is the API identifier tokens must be meant for.
func (v *Verifier) Audience() string { return v.audience }

// Verify checks token (the compact JWT, without "Bearer ") and returns its
// claims, or an *Error saying why it is refused. ctx bounds only the JWKS
// fetch an unknown kid may cause (which the fetch timeout bounds too).
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	if token == "" || len(token) > MaxTokenBytes {
		return nil, reject(ReasonMalformed, nil)
	}
	raw := jwt.MapClaims{}
	tok, err := v.parser.ParseWithClaims(token, raw, func(t *jwt.Token) (any, error) {
		// The parser has already refused every alg but RS256; checked again
		// so a change of options can never hand an RSA key to HMAC.
		if t.Method != jwt.SigningMethodRS256 {
			return nil, reject(ReasonUnsupportedAlg, nil)
		}
		if _, ok := t.Header["crit"]; ok {
			// RFC 7515 4.1.11: extensions we do not implement must fail.
			return nil, reject(ReasonMalformed, nil)
		}
		if kid, _ := t.Header["kid"].(string); kid == "" {
			// keyfunc would try every key; Auth0 always names one.
			return nil, reject(ReasonUnknownKID, nil)
		}
		key, err := v.keys.KeyfuncCtx(ctx)(t)
		if err != nil {
			return nil, v.keyError(ctx, err)
		}
		return key, nil
	})
	if err != nil {
		return nil, classify(tok, raw, err)
	}
	sub, _ := raw["sub"].(string)
	if sub == "" {
		return nil, reject(ReasonMissingSubject, nil)
	}
	return claimsOf(sub, v.issuer, raw), nil
}

// keyError says why no key was found: the kid is unknown to a JWKS read
// lately, or the keys could not be read (the last fetch failed, or the
// caller gave up waiting for one).
func (v *Verifier) keyError(ctx context.Context, err error) *Error {
	if cause := v.store.unavailable(); cause != nil {
		return reject(ReasonJWKSUnavailable, cause)
	}
	if ctx.Err() != nil {
		return reject(ReasonJWKSUnavailable, ctx.Err())
	}
	return reject(ReasonUnknownKID, nil)
}

// classify turns the parser's error into one stable reason. The checks
// follow the parser's order (structure, alg, key, signature, claims), so
// nothing about the claims is revealed for a token whose signature fails.
func classify(tok *jwt.Token, raw jwt.MapClaims, err error) *Error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, jwt.ErrTokenMalformed):
		return reject(ReasonMalformed, nil)
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		// alg missing or unknown to the library.
		return reject(ReasonUnsupportedAlg, nil)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		if tok != nil && tok.Method != nil && tok.Method.Alg() != "RS256" {
			return reject(ReasonUnsupportedAlg, nil)
		}
		return reject(ReasonBadSignature, nil)
	}
	// Claims errors come joined; the first that applies names the reason.
	// Identity (who issued it, for whom) goes before time.
	switch {
	case errors.Is(err, jwt.ErrTokenInvalidIssuer) || isMissing(raw, "iss"):
		return reject(ReasonWrongIssuer, nil)
	case errors.Is(err, jwt.ErrTokenInvalidAudience) || noAudience(raw):
		return reject(ReasonWrongAudience, nil)
	case errors.Is(err, jwt.ErrInvalidType):
		return reject(ReasonMalformed, nil)
	case errors.Is(err, jwt.ErrTokenExpired):
		return reject(ReasonExpired, nil)
	case errors.Is(err, jwt.ErrTokenNotValidYet) || errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return reject(ReasonNotYetValid, nil)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return reject(ReasonMissingExpiry, nil)
	}
	return reject(ReasonMalformed, err)
}

func isMissing(raw jwt.MapClaims, name string) bool {
	v, ok := raw[name]
	return !ok || v == nil || v == ""
}

// noAudience reports an aud that names no audience: absent, "", [] or [""]
// (the parser's "required claim missing"), or neither a string nor an array
// of strings, such as an object (which the parser also reads as absent).
func noAudience(raw jwt.MapClaims) bool {
	switch v := raw["aud"].(type) {
	case string:
		return v == ""
	case []any:
		for _, a := range v {
			if _, ok := a.(string); !ok {
				return true
			}
		}
		return len(v) == 0 || (len(v) == 1 && v[0] == "")
	}
	return true
}

func claimsOf(sub, issuer string, raw jwt.MapClaims) *Claims {
	c := &Claims{Subject: sub, Issuer: issuer, Raw: raw}
	// The parser has validated these, so their types are right.
	c.Audience, _ = raw.GetAudience()
	if exp, _ := raw.GetExpirationTime(); exp != nil {
		c.ExpiresAt = exp.Time
	}
	if iat, _ := raw.GetIssuedAt(); iat != nil {
		c.IssuedAt = iat.Time
	}
	if scope, ok := raw["scope"].(string); ok {
		c.Scopes = strings.Fields(scope)
	}
	if perms, ok := raw["permissions"].([]any); ok {
		c.Permissions = make([]string, 0, len(perms))
		for _, p := range perms {
			if s, ok := p.(string); ok {
				c.Permissions = append(c.Permissions, s)
			}
		}
	}
	return c
}
