package verify

import "time"

// ElapseRefreshInterval lets the next unknown kid fetch the JWKS at once,
// as if a refresh interval had passed since the last such fetch.
func ElapseRefreshInterval(v *Verifier) {
	v.limiter.SetLimitAt(time.Now().Add(-v.interval), v.limiter.Limit())
}
