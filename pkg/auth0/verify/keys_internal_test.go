package verify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"testing"

	"github.com/MicahParks/jwkset"
)

func TestKeyStoreKeepsOnlyRS256SigningKeys(t *testing.T) {
	good, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwk := func(key any, kid string, use jwkset.USE, alg jwkset.ALG) jwkset.JWK {
		t.Helper()
		k, err := jwkset.NewJWKFromKey(key, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: kid, USE: use, ALG: alg}})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	pub := &good.PublicKey
	evenE := &rsa.PublicKey{N: pub.N, E: 65536}
	store := &keyStore{MemoryJWKSet: jwkset.NewMemoryStorage()}
	err = store.KeyReplaceAll(context.Background(), []jwkset.JWK{
		jwk(pub, "good", jwkset.UseSig, jwkset.AlgRS256),
		jwk(pub, "bare", "", ""),
		jwk(pub, "enc", jwkset.UseEnc, jwkset.AlgRS256),
		jwk(pub, "ps", jwkset.UseSig, jwkset.AlgPS256),
		jwk(pub, "", jwkset.UseSig, jwkset.AlgRS256),
		jwk(evenE, "even", jwkset.UseSig, jwkset.AlgRS256),
		jwk(good, "private", jwkset.UseSig, jwkset.AlgRS256),
		jwk(&ec.PublicKey, "ec", jwkset.UseSig, jwkset.AlgES256),
	})
	if err != nil {
		t.Fatal(err)
	}
	kept, _ := store.KeyReadAll(context.Background())
	var kids []string
	for _, k := range kept {
		kids = append(kids, k.Marshal().KID)
	}
	if len(kids) != 2 || kids[0] != "good" || kids[1] != "bare" {
		t.Fatalf("kept %q, want [good bare]", kids)
	}

	// A set with nothing usable is refused and the keys held stay.
	if err := store.KeyReplaceAll(context.Background(), []jwkset.JWK{jwk(&ec.PublicKey, "ec", "", "")}); err != errNoUsableKey {
		t.Fatalf("unusable set: %v", err)
	}
	if kept, _ := store.KeyReadAll(context.Background()); len(kept) != 2 {
		t.Fatalf("%d keys after a refused set", len(kept))
	}
}
