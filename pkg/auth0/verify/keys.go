package verify

import (
	"context"
	"crypto/rsa"
	"errors"
	"io"
	"net/http"
	"slices"
	"sync/atomic"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"golang.org/x/time/rate"
)

// Bounds on what a JWKS answer may be: Auth0's holds two or three keys in a
// few KiB; anything far larger is not a key set we should parse.
const (
	maxJWKSBytes = 256 << 10
	maxKeys      = 64
	// minRSABits refuses keys too weak to trust; Auth0 signs with 2048 bits.
	minRSABits = 2048
)

var errNoUsableKey = errors.New("JWKS has no usable RS256 key")

// keyStore is the cache jwkset fills with each fetched JWKS. It keeps only
// keys fit for RS256, refuses a set without any (the keys already held stay
// in use), and remembers whether the last fetch failed.
type keyStore struct {
	*jwkset.MemoryJWKSet
	lastErr atomic.Pointer[error]
}

func (s *keyStore) KeyReplaceAll(ctx context.Context, keys []jwkset.JWK) error {
	keys = slices.DeleteFunc(keys, func(k jwkset.JWK) bool { return !usable(k) })
	if len(keys) == 0 {
		return errNoUsableKey
	}
	if err := s.MemoryJWKSet.KeyReplaceAll(ctx, keys[:min(len(keys), maxKeys)]); err != nil {
		return err
	}
	s.lastErr.Store(nil)
	return nil
}

// failed is jwkset's RefreshErrorHandler: every fetch that does not end in
// KeyReplaceAll comes through here.
func (s *keyStore) failed(_ context.Context, err error) { s.lastErr.Store(&err) }

// unavailable says why the keys could not be read lately, or nil.
func (s *keyStore) unavailable() error {
	if p := s.lastErr.Load(); p != nil {
		return *p
	}
	return nil
}

// usable keeps the RSA public keys meant for signatures with RS256; a JWKS
// may legitimately hold others (encryption keys, other algorithms).
func usable(k jwkset.JWK) bool {
	m := k.Marshal()
	pub, ok := k.Key().(*rsa.PublicKey)
	return ok && m.KID != "" &&
		(m.USE == "" || m.USE == jwkset.UseSig) &&
		(m.ALG == "" || m.ALG == jwkset.AlgRS256) &&
		pub.N.BitLen() >= minRSABits && pub.E >= 3 && pub.E%2 == 1
}

// newKeys wires jwkset and keyfunc: the first fetch happens now (its
// failure is not fatal), a background fetch every s.maxAge while ctx lives,
// and a fetch for an unknown kid at most once per s.interval.
func newKeys(ctx context.Context, url string, s *settings) (keyfunc.Keyfunc, *keyStore, *rate.Limiter, error) {
	store := &keyStore{MemoryJWKSet: jwkset.NewMemoryStorage()}
	client := *s.client
	client.Transport = limitBody{next: client.Transport}
	remote, err := jwkset.NewStorageFromHTTP(url, jwkset.HTTPClientStorageOptions{
		Client:                    &client,
		Ctx:                       ctx,
		HTTPTimeout:               s.timeout,
		NoErrorReturnFirstHTTPReq: true,
		RefreshErrorHandler:       store.failed,
		RefreshInterval:           max(s.maxAge, 0),
		Storage:                   store,
	})
	if err != nil {
		return nil, nil, nil, err
	}
	// The first fetch has just happened: the next waits an interval.
	limiter := rate.NewLimiter(rate.Every(s.interval), 1)
	limiter.Allow()
	storage, err := jwkset.NewHTTPClient(jwkset.HTTPClientOptions{
		HTTPURLs: map[string]jwkset.Storage{url: remote},
		// Also bounds the fetch itself. A caller finding the limiter spent
		// for longer than this is refused at once rather than kept waiting.
		RateLimitWaitMax:  s.timeout,
		RefreshUnknownKID: limiter,
	})
	if err != nil {
		return nil, nil, nil, err
	}
	kf, err := keyfunc.New(keyfunc.Options{Ctx: ctx, Storage: storage})
	if err != nil {
		return nil, nil, nil, err
	}
	return kf, store, limiter, nil
}

// limitBody caps what a JWKS fetch reads; a cut body fails to decode.
type limitBody struct{ next http.RoundTripper }

func (l limitBody) RoundTrip(r *http.Request) (*http.Response, error) {
	next := l.next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(r)
	if err == nil {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.LimitReader(resp.Body, maxJWKSBytes), resp.Body}
	}
	return resp, err
}
