package auth0test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// TOTP as Auth0's OTP authenticators use it and authenticator apps compute
// it: RFC 6238 with HMAC-SHA-1, 6 digits and 30-second steps. Written out
// here (it is a few lines of the standard library) because no maintained
// Go TOTP module is available to this project.

const (
	totpStep   = 30 // seconds
	totpDigits = 6
)

var totpEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// TOTP returns the 6-digit code of a base32 secret (as /mfa/associate
// returns it; case, spaces and padding do not matter) at time t, or "" for
// a secret that is not base32. Tests use it to answer an OTP challenge.
func TOTP(secret string, t time.Time) string {
	key, ok := decodeSecret(secret)
	if !ok {
		return ""
	}
	return hotp(key, totpCounter(t))
}

func decodeSecret(secret string) ([]byte, bool) {
	s := strings.ToUpper(strings.ReplaceAll(secret, " ", ""))
	key, err := totpEncoding.DecodeString(strings.TrimRight(s, "="))
	return key, err == nil && len(key) > 0
}

func totpCounter(t time.Time) int64 { return t.Unix() / totpStep }

// hotp is RFC 4226 5.3: dynamic truncation of HMAC-SHA-1(key, counter).
func hotp(key []byte, counter int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(counter))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	code := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", totpDigits, code%1_000_000)
}

// checkTOTP accepts the code of the current step or one step either side
// (clock drift, RFC 6238 5.2), but never a step at or before last, the
// last one accepted (no replay, RFC 6238 5.2). It returns the step used.
func checkTOTP(key []byte, code string, now time.Time, last int64) (int64, bool) {
	c := totpCounter(now)
	for _, step := range [...]int64{c - 1, c, c + 1} {
		if step > last && hmac.Equal([]byte(hotp(key, step)), []byte(code)) {
			return step, true
		}
	}
	return 0, false
}

// newTOTPSecret is 20 random bytes (160 bits, RFC 4226's recommendation)
// in base32: 32 characters, like the secrets Auth0 hands out.
func newTOTPSecret() string { return totpEncoding.EncodeToString(randomBytes(20)) }
