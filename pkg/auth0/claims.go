package auth0

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
)

// MachineGrantType is the gty claim Auth0 puts in every token of the
// client-credentials grant.
const MachineGrantType = "client-credentials"

// IsMachineToken reports whether an access token was issued to an
// application (the client-credentials grant) rather than to a user: its gty
// claim names client-credentials, or its sub is "<client_id>@clients".
// Such a token passes any audience check for an API the application is
// authorized for, so user routes must refuse it. gty holds the claim's
// values (Auth0 sends a string, or an array after a refresh).
func IsMachineToken(sub string, gty ...string) bool {
	return slices.Contains(gty, MachineGrantType) || strings.HasSuffix(sub, "@clients")
}

// Subject returns the sub claim of the access token, read without checking
// the signature: only for a token this process just received from Auth0
// over TLS, never for one a caller sent. It is "" when the token is not a
// JWT (Auth0 issues opaque tokens when no audience was asked for).
func (t Token) Subject() string {
	parts := strings.Split(t.AccessToken, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var claims struct {
		Sub string `json:"sub"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	return claims.Sub
}
