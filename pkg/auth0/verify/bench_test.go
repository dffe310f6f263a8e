package verify_test

import (
	"context"
	"testing"
)

// BenchmarkVerifyCachedKey is the per-request cost once the key is cached:
// parse, one RSA-2048 signature check, claim checks.
func BenchmarkVerifyCachedKey(b *testing.B) {
	f := newFixture(b)
	token, _ := login(b, f.srv, "ada@example.com", "openid read:profile")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.v.Verify(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRefuseBogusKid is the cost of a forged kid within the refresh
// interval: no fetch, no RSA.
func BenchmarkRefuseBogusKid(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	token := f.srv.SignToken(map[string]any{"kid": "bogus"}, f.claims())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.v.Verify(ctx, token); err == nil {
			b.Fatal("accepted")
		}
	}
}
