package auth0test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"sync"
)

type signingKey struct {
	kid  string
	priv *rsa.PrivateKey
}

// A 2048-bit key takes up to a second to generate (more under -race), so
// every server in a process starts with the same one.
var (
	firstKeyOnce sync.Once
	firstKey     *signingKey
)

func sharedKey() *signingKey {
	firstKeyOnce.Do(func() { firstKey = newSigningKey() })
	return firstKey
}

func newSigningKey() *signingKey {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("auth0test: generating RSA key: " + err.Error())
	}
	return &signingKey{kid: thumbprint(&priv.PublicKey), priv: priv}
}

var b64 = base64.RawURLEncoding

type jwk struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

type jwkSet struct {
	Keys []jwk `json:"keys"`
}

func (k *signingKey) jwk() jwk {
	pub := &k.priv.PublicKey
	return jwk{Kty: "RSA", Use: "sig", Alg: "RS256", Kid: k.kid,
		N: b64.EncodeToString(pub.N.Bytes()), E: b64.EncodeToString(big.NewInt(int64(pub.E)).Bytes())}
}

// thumbprint is the RFC 7638 JWK thumbprint: a kid that is unique per key
// and stable, like Auth0's opaque kids.
func thumbprint(pub *rsa.PublicKey) string {
	e := b64.EncodeToString(big.NewInt(int64(pub.E)).Bytes())
	n := b64.EncodeToString(pub.N.Bytes())
	sum := sha256.Sum256([]byte(`{"e":"` + e + `","kty":"RSA","n":"` + n + `"}`))
	return b64.EncodeToString(sum[:])
}

// jwks is the key set: the current key first, then the previous one, so
// tokens signed before a rotation still verify (Auth0 publishes both during
// a rotation too). x5c/x5t are left out: verifiers need only n and e.
func (s *Server) jwks() jwkSet {
	s.mu.Lock()
	defer s.mu.Unlock()
	set := jwkSet{Keys: []jwk{s.key.jwk()}}
	if s.prevKey != nil {
		set.Keys = append(set.Keys, s.prevKey.jwk())
	}
	return set
}

func (s *Server) currentKey() *signingKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.key
}

// RotateSigningKey makes a new RSA key the signing key and returns its kid.
// The JWKS then serves the new key and the one before it; older keys drop
// out.
func (s *Server) RotateSigningKey() (kid string) {
	k := newSigningKey() // slow: outside the lock
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prevKey, s.key = s.key, k
	return k.kid
}

// PublicKey is the current signing key's public half.
func (s *Server) PublicKey() *rsa.PublicKey { return &s.currentKey().priv.PublicKey }

// SignToken signs claims RS256 with the current key. header is merged over
// {"alg":"RS256","typ":"JWT","kid":<current>}; a nil value removes the field.
// The signature is RS256 whatever header says, so verifier tests can forge
// headers ("alg":"none", an unknown kid) on a validly signed token.
func (s *Server) SignToken(header, claims map[string]any) string {
	k := s.currentKey()
	h := map[string]any{"alg": "RS256", "typ": "JWT", "kid": k.kid}
	for name, v := range header {
		if v == nil {
			delete(h, name)
		} else {
			h[name] = v
		}
	}
	hj, err := json.Marshal(h)
	if err != nil {
		panic("auth0test: SignToken header: " + err.Error())
	}
	cj, err := json.Marshal(claims)
	if err != nil {
		panic("auth0test: SignToken claims: " + err.Error())
	}
	input := b64.EncodeToString(hj) + "." + b64.EncodeToString(cj)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(nil, k.priv, crypto.SHA256, sum[:])
	if err != nil {
		panic("auth0test: signing: " + err.Error())
	}
	return input + "." + b64.EncodeToString(sig)
}
