package verify

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds on what a JWKS answer may be: Auth0's holds two or three keys in a
// few KiB; anything far larger is not a key set we should parse.
const (
	maxJWKSBytes = 256 << 10
	maxKeys      = 64
	// minRSABits refuses keys too weak to trust; Auth0 signs with 2048 bits.
	minRSABits = 2048
)

type keySet struct {
	keys    map[string]*rsa.PublicKey
	fetched time.Time
}

// fetch is one JWKS request; every caller that needs it waits on done.
type fetch struct {
	done chan struct{}
	err  error
}

// keyCache holds the tenant's RSA keys by kid. Reads are lock-free; fetches
// are shared (one in flight at a time) and spaced at least interval apart.
type keyCache struct {
	url      string
	client   *http.Client
	timeout  time.Duration
	interval time.Duration
	maxAge   time.Duration
	now      func() time.Time

	set atomic.Pointer[keySet]

	mu       sync.Mutex
	last     time.Time // when the last fetch started
	lastErr  error     // how the last finished fetch failed, if it did
	inflight *fetch
}

// get returns the key for kid, fetching the JWKS when kid is unknown and
// the refresh interval allows it.
func (c *keyCache) get(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	if s := c.set.Load(); s != nil {
		if k := s.keys[kid]; k != nil {
			if c.maxAge > 0 && c.now().Sub(s.fetched) >= c.maxAge {
				// Old keys keep working while a background fetch picks up
				// revocations; the request does not wait for it.
				c.start(false)
			}
			return k, nil
		}
	}
	f, err := c.start(true)
	if f == nil {
		return nil, err
	}
	select {
	case <-f.done:
	case <-ctx.Done():
		return nil, reject(ReasonJWKSUnavailable, ctx.Err())
	}
	if s := c.set.Load(); s != nil {
		if k := s.keys[kid]; k != nil {
			return k, nil
		}
	}
	if f.err != nil {
		return nil, reject(ReasonJWKSUnavailable, f.err)
	}
	return nil, reject(ReasonUnknownKID, nil)
}

// start joins the fetch in flight or starts one. When the last fetch is
// more recent than the interval it starts none and, if asked (wantErr),
// says why the kid cannot be resolved.
func (c *keyCache) start(wantErr bool) (*fetch, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inflight != nil {
		return c.inflight, nil
	}
	if !c.last.IsZero() && c.now().Sub(c.last) < c.interval {
		if !wantErr {
			return nil, nil
		}
		if c.lastErr != nil {
			// The keys could not be read lately: the kid may well be real.
			return nil, reject(ReasonJWKSUnavailable, c.lastErr)
		}
		return nil, reject(ReasonUnknownKID, nil)
	}
	f := &fetch{done: make(chan struct{})}
	c.inflight, c.last = f, c.now()
	// Detached from the caller's context: other callers share this fetch,
	// and one of them giving up must not fail it for the rest.
	go c.run(f)
	return f, nil
}

func (c *keyCache) run(f *fetch) {
	keys, err := c.download()
	if err == nil {
		c.set.Store(&keySet{keys: keys, fetched: c.now()})
	}
	c.mu.Lock()
	c.inflight, c.lastErr = nil, err
	c.mu.Unlock()
	f.err = err
	close(f.done)
}

// prefetch makes sure keys are loaded, fetching them if none are.
func (c *keyCache) prefetch(ctx context.Context) error {
	if c.set.Load() != nil {
		return nil
	}
	f, err := c.start(true)
	if f == nil {
		if c.set.Load() != nil {
			return nil
		}
		return err
	}
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

type jwk struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

func (c *keyCache) download() (map[string]*rsa.PublicKey, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching JWKS: status %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading JWKS: %w", err)
	}
	if len(data) > maxJWKSBytes {
		return nil, fmt.Errorf("JWKS larger than %d bytes", maxJWKSBytes)
	}
	return parseJWKS(data)
}

// parseJWKS keeps the RSA signing keys usable for RS256 and skips the rest
// (encryption keys, other key types), as a JWKS may legitimately hold them.
func parseJWKS(data []byte) (map[string]*rsa.PublicKey, error) {
	var doc struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, errors.New("JWKS is not a JSON key set")
	}
	keys := make(map[string]*rsa.PublicKey, len(doc.Keys))
	for _, k := range doc.Keys {
		if len(keys) == maxKeys {
			break
		}
		if k.Kty != "RSA" || k.Kid == "" || (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != "RS256") {
			continue
		}
		pub, err := rsaKey(k.N, k.E)
		if err != nil {
			continue
		}
		keys[k.Kid] = pub
	}
	if len(keys) == 0 {
		return nil, errors.New("JWKS has no usable RS256 key")
	}
	return keys, nil
}

func rsaKey(n64, e64 string) (*rsa.PublicKey, error) {
	nb, err := base64.RawURLEncoding.DecodeString(n64)
	if err != nil {
		return nil, err
	}
	eb, err := base64.RawURLEncoding.DecodeString(e64)
	if err != nil {
		return nil, err
	}
	n := new(big.Int).SetBytes(nb)
	e := new(big.Int).SetBytes(eb)
	if n.BitLen() < minRSABits || !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0 {
		return nil, errors.New("unacceptable RSA key")
	}
	return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
}
