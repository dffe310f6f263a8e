package verify

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"testing"
)

func jwkOf(pub *rsa.PublicKey, kid string) jwk {
	enc := base64.RawURLEncoding.EncodeToString
	return jwk{Kty: "RSA", Use: "sig", Alg: "RS256", Kid: kid,
		N: enc(pub.N.Bytes()), E: enc(big.NewInt(int64(pub.E)).Bytes())}
}

func TestParseJWKSKeepsOnlyRS256SigningKeys(t *testing.T) {
	good, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	enc := jwkOf(&good.PublicKey, "enc")
	enc.Use = "enc"
	ps := jwkOf(&good.PublicKey, "ps")
	ps.Alg = "PS256"
	noKid := jwkOf(&good.PublicKey, "")
	bareAlg := jwkOf(&good.PublicKey, "bare")
	bareAlg.Alg, bareAlg.Use = "", ""
	evenE := jwkOf(&good.PublicKey, "even")
	evenE.E = base64.RawURLEncoding.EncodeToString([]byte{2})
	set := []jwk{jwkOf(&good.PublicKey, "good"), jwkOf(&weak.PublicKey, "weak"), enc, ps, noKid, bareAlg, evenE,
		{Kty: "EC", Kid: "ec"}, {Kty: "RSA", Kid: "junk", N: "!!", E: "AQAB"}}
	data, _ := json.Marshal(map[string]any{"keys": set})
	keys, err := parseJWKS(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys["good"] == nil || keys["bare"] == nil || !keys["good"].Equal(&good.PublicKey) {
		t.Fatalf("kept %v", keys)
	}
	for _, bad := range []string{`{"keys":[]}`, `{}`, `[`, `{"keys":[{"kty":"EC","kid":"x"}]}`} {
		if _, err := parseJWKS([]byte(bad)); err == nil {
			t.Errorf("parseJWKS(%s) succeeded", bad)
		}
	}
}
