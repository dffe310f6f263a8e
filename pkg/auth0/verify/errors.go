package verify

// Reasons a token is refused. They are stable: callers may switch on them
// and put them in metrics.
const (
	ReasonMalformed       = "malformed"        // not a compact JWS, or a claim of the wrong type
	ReasonUnsupportedAlg  = "unsupported_alg"  // alg is not RS256 (none, HS256, ES256, ...)
	ReasonUnknownKID      = "unknown_kid"      // no key with this kid in the tenant's JWKS
	ReasonBadSignature    = "bad_signature"    // signature does not verify with the key
	ReasonExpired         = "expired"          // exp is past (beyond the leeway)
	ReasonMissingExpiry   = "missing_expiry"   // no exp: a token that never expires is refused
	ReasonNotYetValid     = "not_yet_valid"    // nbf or iat is in the future (beyond the leeway)
	ReasonWrongIssuer     = "wrong_issuer"     // iss is not exactly the tenant's issuer
	ReasonWrongAudience   = "wrong_audience"   // aud does not contain the API's audience
	ReasonMissingSubject  = "missing_subject"  // no sub
	ReasonJWKSUnavailable = "jwks_unavailable" // the keys could not be fetched: not the caller's fault
)

// descriptions are what a client is told. Fixed texts: no token content is
// ever echoed, and none needs escaping inside a WWW-Authenticate header.
var descriptions = map[string]string{
	ReasonMalformed:       "the token is malformed",
	ReasonUnsupportedAlg:  "the token is not signed with RS256",
	ReasonUnknownKID:      "the token is signed with an unknown key",
	ReasonBadSignature:    "the token signature is invalid",
	ReasonExpired:         "the token has expired",
	ReasonMissingExpiry:   "the token has no expiry",
	ReasonNotYetValid:     "the token is not valid yet",
	ReasonWrongIssuer:     "the token was issued by another issuer",
	ReasonWrongAudience:   "the token is not meant for this API",
	ReasonMissingSubject:  "the token has no subject",
	ReasonJWKSUnavailable: "the token signing keys are unavailable",
}

// Error is why a token was refused.
type Error struct {
	Reason string
	// Description is a fixed, client-safe sentence for Reason.
	Description string
	// Err is the underlying cause (JWKS fetch failure, parser error), for
	// logs; it may be nil.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return "verify: " + e.Reason + ": " + e.Err.Error()
	}
	return "verify: " + e.Reason
}

func (e *Error) Unwrap() error { return e.Err }

func reject(reason string, cause error) *Error {
	return &Error{Reason: reason, Description: descriptions[reason], Err: cause}
}
