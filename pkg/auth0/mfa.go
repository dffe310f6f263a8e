package auth0

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

// The MFA API (shared/reference/auth0-lifecycle.md 4): after a password
// login answered mfa_required, the mfa_token lists, enrolls and challenges
// the user's factors, and an MFA grant (see Token) trades it and a code for
// tokens. None of these calls is retried: codes are single use, and an
// answer lost on the way may have started an enrollment or sent an SMS.

// maxMFAToken bounds an mfa_token we accept from an answer; Auth0's are
// under 1 KiB.
const maxMFAToken = 4096

// maxAuthenticators bounds the list we keep of one user's factors.
const maxAuthenticators = 32

// Authenticator is one of the user's factors as /mfa/authenticators lists
// it; pending enrollments have Active false.
type Authenticator struct {
	ID string `json:"id"`
	// Type is "otp", "oob" or "recovery-code".
	Type   string `json:"authenticator_type"`
	Active bool   `json:"active"`
	// OOBChannel is "sms", "email", "auth0" (push) or "voice" for type oob.
	OOBChannel string `json:"oob_channel,omitempty"`
	// Name is a masked phone number or address.
	Name string `json:"name,omitempty"`
}

// MFAAuthenticators lists the factors of the user mfaToken belongs to.
func (c *Client) MFAAuthenticators(ctx context.Context, mfaToken string) ([]Authenticator, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.BaseURL+"/mfa/authenticators", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+mfaToken)
	var list []Authenticator
	err = c.do(ctx, req, func(status int, header http.Header, data []byte) error {
		if status != http.StatusOK {
			return parseError(status, header, data, classifyAuthenticators, mfaToken)
		}
		if json.Unmarshal(data, &list) != nil {
			return &Error{Kind: KindUpstream, Status: status, Description: "unreadable authenticators answer"}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return list[:min(len(list), maxAuthenticators)], nil
}

// MFAAssociateRequest enrolls a first factor.
type MFAAssociateRequest struct {
	MFAToken     string
	ClientSecret string
	// Type is "otp" (an authenticator app) or "oob".
	Type string
	// Channel is "sms" or "email" for Type oob.
	Channel string
	// PhoneNumber, in E.164 form, for Channel sms.
	PhoneNumber string
}

// MFAEnrollment is Auth0's answer to an enrollment. Secret, RecoveryCodes
// and the codes are credentials.
type MFAEnrollment struct {
	Type string `json:"authenticator_type"`
	// OTP: the base32 secret and the otpauth:// URI that carries it.
	Secret     string `json:"secret,omitempty"`
	BarcodeURI string `json:"barcode_uri,omitempty"`
	// RecoveryCodes come with the user's first enrollment only.
	RecoveryCodes []string `json:"recovery_codes,omitempty"`
	// OOB: the code to confirm with the mfa-oob grant, and how the user
	// binds it ("prompt": type the code that was sent).
	OOBChannel    string `json:"oob_channel,omitempty"`
	OOBCode       string `json:"oob_code,omitempty"`
	BindingMethod string `json:"binding_method,omitempty"`
}

type associateBody struct {
	ClientID           string   `json:"client_id"`
	ClientSecret       string   `json:"client_secret"`
	AuthenticatorTypes []string `json:"authenticator_types"`
	OOBChannels        []string `json:"oob_channels,omitempty"`
	PhoneNumber        string   `json:"phone_number,omitempty"`
}

// MFAAssociate starts the enrollment of the user's first factor; the
// first MFA grant with it confirms the enrollment. Auth0 takes the
// mfa_token for this only while the user has no active factor.
func (c *Client) MFAAssociate(ctx context.Context, r MFAAssociateRequest) (MFAEnrollment, error) {
	body := associateBody{ClientID: c.cfg.ClientID, ClientSecret: r.ClientSecret,
		AuthenticatorTypes: []string{r.Type}, PhoneNumber: r.PhoneNumber}
	if r.Channel != "" {
		body.OOBChannels = []string{r.Channel}
	}
	var e MFAEnrollment
	err := c.mfaPost(ctx, "/mfa/associate", r.MFAToken, body, &e, classifyMFA, r.MFAToken, r.ClientSecret, r.PhoneNumber)
	if err != nil {
		return MFAEnrollment{}, err
	}
	if e.Type == "" {
		e.Type = r.Type
	}
	if (e.Type == "otp" && e.Secret == "") || (e.Type == "oob" && e.OOBCode == "") {
		return MFAEnrollment{}, &Error{Kind: KindUpstream, Status: http.StatusOK, Description: "enrollment answer without its secret or oob_code"}
	}
	return e, nil
}

// MFAChallengeRequest asks for a challenge of an enrolled factor.
type MFAChallengeRequest struct {
	MFAToken     string
	ClientSecret string
	// AuthenticatorID picks a factor; "" lets Auth0 choose.
	AuthenticatorID string
	// ChallengeType is "otp", "oob", or "" for either.
	ChallengeType string
}

// MFAChallenge is a started challenge: for "otp" the user types the app's
// code; for "oob" a code was sent (or a push), and OOBCode is what the
// mfa-oob grant polls.
type MFAChallenge struct {
	ChallengeType string `json:"challenge_type"`
	OOBCode       string `json:"oob_code,omitempty"`
	BindingMethod string `json:"binding_method,omitempty"`
}

type challengeBody struct {
	ClientID        string `json:"client_id"`
	ClientSecret    string `json:"client_secret"`
	MFAToken        string `json:"mfa_token"`
	ChallengeType   string `json:"challenge_type,omitempty"`
	AuthenticatorID string `json:"authenticator_id,omitempty"`
}

// MFAChallenge starts a challenge of one of the user's factors. Each call
// may send an SMS or email.
func (c *Client) MFAChallenge(ctx context.Context, r MFAChallengeRequest) (MFAChallenge, error) {
	body := challengeBody{ClientID: c.cfg.ClientID, ClientSecret: r.ClientSecret, MFAToken: r.MFAToken,
		ChallengeType: r.ChallengeType, AuthenticatorID: r.AuthenticatorID}
	var ch MFAChallenge
	if err := c.mfaPost(ctx, "/mfa/challenge", "", body, &ch, classifyMFA, r.MFAToken, r.ClientSecret); err != nil {
		return MFAChallenge{}, err
	}
	if (ch.ChallengeType != "otp" && ch.ChallengeType != "oob") || (ch.ChallengeType == "oob" && ch.OOBCode == "") {
		return MFAChallenge{}, &Error{Kind: KindUpstream, Status: http.StatusOK, Description: "unreadable challenge answer"}
	}
	return ch, nil
}

// mfaPost posts body as JSON to path, with bearer as the Authorization if
// set, and decodes a 200 into out. secrets are the credentials the request
// carried, scrubbed from any error text kept.
func (c *Client) mfaPost(ctx context.Context, path, bearer string, body, out any, classify func(*Error), secrets ...string) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+path, bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return c.do(ctx, req, func(status int, header http.Header, data []byte) error {
		if status != http.StatusOK {
			return parseError(status, header, data, classify, secrets...)
		}
		if json.Unmarshal(data, out) != nil {
			return &Error{Kind: KindUpstream, Status: status, Description: "unreadable " + strings.TrimPrefix(path, "/mfa/") + " answer"}
		}
		return nil
	})
}

// classifyMFA reads an error of the MFA API or an MFA grant. The texts
// are Auth0's (reference 4.3); their statuses are mostly not recorded, so
// the code and text decide.
func classifyMFA(e *Error) {
	desc := strings.ToLower(e.Description)
	switch {
	case e.Status == http.StatusTooManyRequests:
		e.Kind = tooManyKind(e.Code)
	case e.Status >= 500:
		e.Kind = KindUpstream
	case e.Code == "too_many_attempts" || strings.HasPrefix(desc, "too many"):
		// "Too many failed codes." / "Too many SMS sent by the user."
		e.Kind = KindTooManyAttempts
	case desc == "user is blocked":
		e.Kind = KindAccessDenied
	case e.Code == "invalid_client",
		e.Code == "access_denied" && e.Status == http.StatusUnauthorized && desc == "unauthorized":
		e.Kind = KindClientRejected
	case e.Code == "authorization_pending":
		e.Kind = KindAuthorizationPending
	case e.Code == "slow_down":
		e.Kind = KindSlowDown
	case strings.Contains(desc, "authorization rejected"):
		// "MFA Authorization rejected.", as access_denied or invalid_grant.
		e.Kind = KindAccessDenied
	case e.Code == "unsupported_challenge_type", e.Code == "association_required":
		e.Kind = KindEnrollmentRequired
	case strings.Contains(desc, "already enrolled"):
		e.Kind = KindAlreadyEnrolled
	case strings.Contains(desc, "mfa_token"):
		// Expired, malformed, another client's; also "The oob_code doesn't
		// match the mfa_token", which only a new login mends.
		e.Kind = KindMFATokenInvalid
	case strings.Contains(desc, "otp_code"), strings.Contains(desc, "binding_code"),
		strings.Contains(desc, "recovery_code"), strings.Contains(desc, "oob_code"):
		// Wrong, expired or used codes.
		e.Kind = KindInvalidMFACode
	case e.Code == "expired_token", e.Code == "invalid_grant":
		// The grant cannot go on with this mfa_token: sign in again.
		e.Kind = KindMFATokenInvalid
	case e.Code == "access_denied", e.Code == "unauthorized":
		e.Kind = KindAccessDenied
	case e.Code == "unauthorized_client", e.Code == "unsupported_grant_type",
		e.Code == "invalid_request", e.Code == "invalid_scope", e.Code == "server_error",
		e.Status == http.StatusNotFound:
		// Our input is checked before it is sent: MFA grant or factor not
		// enabled, MFA API off.
		e.Kind = KindMisconfigured
	default:
		e.Kind = KindUpstream
	}
}

// classifyAuthenticators: the mfa_token is the only credential
// /mfa/authenticators takes, so a 401, or a 403 that is not about the user,
// is about the token.
func classifyAuthenticators(e *Error) {
	classifyMFA(e)
	switch {
	case e.Status == http.StatusUnauthorized && e.Kind != KindTooManyAttempts:
		e.Kind = KindMFATokenInvalid
	case e.Status == http.StatusForbidden && (e.Kind == KindClientRejected || e.Kind == KindMisconfigured):
		e.Kind = KindMFATokenInvalid
	}
}
