package api

import (
	"net/url"
	"strings"

	"github.com/auth0-sam-go/authapi/pkg/auth0"
	"github.com/aws/aws-lambda-go/events"
)

// Limits of the grant fields; Auth0's values are far shorter.
const (
	MaxTokenBytes = 4096 // a refresh token, an authorization code
	MaxURIBytes   = 2048 // a redirect_uri
)

// grantReader reads one grant's fields into the request sent to Auth0,
// checking each value, so bad input never reaches Auth0.
type grantReader func(f fields) (auth0.TokenRequest, error)

// tokenGrants are the grant_type values /token accepts. A grant is added
// here with its reader and its fields in tokenFields.
var tokenGrants = map[string]grantReader{
	"password":           readPasswordGrant,
	"refresh_token":      readRefreshGrant,
	"authorization_code": readCodeGrant,
	// The MFA grants by Auth0's URI, as OAuth libraries send them, or by
	// their short names.
	auth0.MFAOTPGrant:          readMFAOTPGrant,
	"mfa-otp":                  readMFAOTPGrant,
	auth0.MFAOOBGrant:          readMFAOOBGrant,
	"mfa-oob":                  readMFAOOBGrant,
	auth0.MFARecoveryCodeGrant: readMFARecoveryGrant,
	"mfa-recovery-code":        readMFARecoveryGrant,
}

// tokenFields are the fields any grant reads; others are ignored.
var tokenFields = []string{
	"grant_type", "email", "username", "password",
	"refresh_token",
	"code", "redirect_uri", "code_verifier",
	"mfa_token", "otp", "oob_code", "binding_code", "recovery_code",
}

var tokenBody = bodySpec{names: tokenFields, form: true, example: `{"email": "...", "password": "..."}`}

var errUnsupportedGrant = &RequestError{Status: 400, Code: "unsupported_grant_type",
	Message: "grant_type must be password, refresh_token, authorization_code, mfa-otp, mfa-oob or mfa-recovery-code"}

// decodeTokenRequest reads a /token body, JSON or form, and dispatches on
// grant_type (absent means password).
func decodeTokenRequest(ev *events.APIGatewayV2HTTPRequest) (auth0.TokenRequest, error) {
	if err := checkPost(ev); err != nil {
		return auth0.TokenRequest{}, err
	}
	if tokenInURL(ev) {
		return auth0.TokenRequest{}, errTokenURL
	}
	f, err := decodeBody(ev, tokenBody)
	if err != nil {
		return auth0.TokenRequest{}, err
	}
	grant := "password"
	if f.has("grant_type") {
		grant = f["grant_type"]
	}
	read, ok := tokenGrants[grant]
	if !ok {
		return auth0.TokenRequest{}, errUnsupportedGrant
	}
	return read(f)
}

// readPasswordGrant reads email (or its alias username) and password.
func readPasswordGrant(f fields) (auth0.TokenRequest, error) {
	email := f["email"]
	switch {
	case f.has("email") && f.has("username"):
		return auth0.TokenRequest{}, invalid("give email or username, not both")
	case f.has("username"):
		email = f["username"]
	case !f.has("email"):
		return auth0.TokenRequest{}, invalid("email: required")
	}
	c, err := checkCredentials(f.has("password"), email, f["password"])
	if re, ok := err.(*RequestError); ok && f.has("username") {
		// Name the field the caller sent.
		if msg, found := strings.CutPrefix(re.Message, "email:"); found {
			err = invalid("username:" + msg)
		}
	}
	if err != nil {
		return auth0.TokenRequest{}, err
	}
	return auth0.TokenRequest{Grant: auth0.PasswordRealmGrant, Username: c.Email, Password: c.Password}, nil
}

func readRefreshGrant(f fields) (auth0.TokenRequest, error) {
	rt, err := requiredToken(f, "refresh_token", MaxTokenBytes)
	if err != nil {
		return auth0.TokenRequest{}, err
	}
	return auth0.TokenRequest{Grant: auth0.RefreshTokenGrant, RefreshToken: rt}, nil
}

func readCodeGrant(f fields) (auth0.TokenRequest, error) {
	code, err := requiredToken(f, "code", MaxTokenBytes)
	if err != nil {
		return auth0.TokenRequest{}, err
	}
	uri, err := required(f, "redirect_uri", MaxURIBytes)
	if err != nil {
		return auth0.TokenRequest{}, err
	}
	if u, err := url.Parse(uri); err != nil || u.Scheme == "" || u.Fragment != "" {
		// RFC 6749 3.1.2: absolute, without a fragment. Custom schemes
		// (com.example.app:/callback) are what mobile apps use.
		return auth0.TokenRequest{}, invalid("redirect_uri: must be an absolute URI without a fragment")
	}
	tr := auth0.TokenRequest{Grant: auth0.AuthorizationCodeGrant, Code: code, RedirectURI: uri}
	if f.has("code_verifier") {
		v := f["code_verifier"]
		if !isCodeVerifier(v) {
			return auth0.TokenRequest{}, invalid("code_verifier: must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636)")
		}
		tr.CodeVerifier = v
	}
	return tr, nil
}

// required reads a free-text field that must be present.
func required(f fields, name string, maxBytes int) (string, error) {
	if !f.has(name) {
		return "", invalid(name + ": required")
	}
	v := f[name]
	if err := checkText(name, v, maxBytes); err != nil {
		return "", err
	}
	return v, nil
}

// isCodeVerifier checks RFC 7636 4.1: 43 to 128 unreserved characters.
func isCodeVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	return !strings.ContainsFunc(v, func(r rune) bool { return !isUnreserved(r) })
}

func isUnreserved(r rune) bool {
	return 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || strings.ContainsRune("-._~", r)
}

// readMFAToken reads the mfa_token every MFA grant and route carries.
func readMFAToken(f fields) (string, error) {
	return requiredToken(f, "mfa_token", MaxMFATokenBytes)
}

func readMFAOTPGrant(f fields) (auth0.TokenRequest, error) {
	tok, err := readMFAToken(f)
	if err != nil {
		return auth0.TokenRequest{}, err
	}
	otp, err := requiredToken(f, "otp", maxMFACodeBytes)
	if err != nil {
		return auth0.TokenRequest{}, err
	}
	return auth0.TokenRequest{Grant: auth0.MFAOTPGrant, MFAToken: tok, OTP: otp}, nil
}

// readMFAOOBGrant reads an out-of-band answer: binding_code when the code
// was sent to the user, none to poll a push.
func readMFAOOBGrant(f fields) (auth0.TokenRequest, error) {
	tok, err := readMFAToken(f)
	if err != nil {
		return auth0.TokenRequest{}, err
	}
	oob, err := requiredToken(f, "oob_code", MaxTokenBytes)
	if err != nil {
		return auth0.TokenRequest{}, err
	}
	tr := auth0.TokenRequest{Grant: auth0.MFAOOBGrant, MFAToken: tok, OOBCode: oob}
	if f.has("binding_code") {
		if tr.BindingCode, err = requiredToken(f, "binding_code", maxMFACodeBytes); err != nil {
			return auth0.TokenRequest{}, err
		}
	}
	return tr, nil
}

func readMFARecoveryGrant(f fields) (auth0.TokenRequest, error) {
	tok, err := readMFAToken(f)
	if err != nil {
		return auth0.TokenRequest{}, err
	}
	// Free text: people copy recovery codes with spaces.
	rc, err := required(f, "recovery_code", maxMFACodeBytes)
	if err != nil {
		return auth0.TokenRequest{}, err
	}
	return auth0.TokenRequest{Grant: auth0.MFARecoveryCodeGrant, MFAToken: tok, RecoveryCode: rc}, nil
}

// requiredToken reads an opaque value that must be present.
func requiredToken(f fields, name string, maxBytes int) (string, error) {
	if !f.has(name) {
		return "", invalid(name + ": required")
	}
	return f[name], checkToken(name, f[name], maxBytes)
}
