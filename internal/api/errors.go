package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/auth0-sam-go/authapi/pkg/auth0"
)

// Outcome is what the caller is told about a failure: the one place that
// decides status, code and message.
type Outcome struct {
	Status     int
	Code       string
	Message    string
	RetryAfter time.Duration
	Allow      string // the methods a 405 names
	// MFAToken goes back with mfa_required: the caller's way forward.
	MFAToken string
}

// secretError wraps a failure to read the client secret.
type secretError struct{ err error }

func (e *secretError) Error() string { return "client secret unavailable: " + e.err.Error() }
func (e *secretError) Unwrap() error { return e.err }

// errMisconfigured marks a deployment that cannot work as configured.
var errMisconfigured = errors.New("server misconfigured")

// OutcomeOf maps any error of the request path onto the contract.
func OutcomeOf(err error) Outcome {
	var reqErr *RequestError
	if errors.As(err, &reqErr) {
		return Outcome{Status: reqErr.Status, Code: reqErr.Code, Message: reqErr.Message, Allow: reqErr.allow}
	}
	var secErr *secretError
	if errors.As(err, &secErr) {
		return Outcome{Status: http.StatusServiceUnavailable, Code: "secret_unavailable",
			Message: "The service cannot reach its credentials right now. Try again shortly."}
	}
	if errors.Is(err, errMisconfigured) {
		return misconfigured
	}
	var a0 *auth0.Error
	if !errors.As(err, &a0) {
		return Outcome{Status: http.StatusBadGateway, Code: "upstream_error",
			Message: "The authentication service failed. Try again."}
	}
	switch a0.Kind {
	case auth0.KindInvalidSignup:
		return Outcome{Status: http.StatusBadRequest, Code: "invalid_signup",
			Message: "The account could not be created."}
	case auth0.KindWeakPassword:
		msg := "The password is too weak."
		if rules := a0.UnmetRules(); len(rules) > 0 {
			msg = "The password does not meet the policy: " + strings.Join(rules, "; ") + "."
		}
		return Outcome{Status: http.StatusBadRequest, Code: "weak_password", Message: msg}
	case auth0.KindInvalidCredentials:
		return Outcome{Status: http.StatusUnauthorized, Code: "invalid_credentials",
			Message: "Wrong email or password."}
	case auth0.KindAccessDenied:
		return Outcome{Status: http.StatusForbidden, Code: "access_denied", Message: accessDeniedMessage(a0)}
	case auth0.KindMFARequired:
		return Outcome{Status: http.StatusForbidden, Code: "mfa_required", MFAToken: a0.MFAToken,
			Message: "This account requires a second factor. Within 10 minutes, use the mfa_token with /mfa/authenticators, /mfa/challenge or /mfa/enroll, then an MFA grant on /token."}
	case auth0.KindInvalidMFACode:
		return Outcome{Status: http.StatusUnauthorized, Code: "invalid_mfa_code",
			Message: "The code is wrong, expired or already used."}
	case auth0.KindMFATokenInvalid:
		return Outcome{Status: http.StatusUnauthorized, Code: "mfa_token_invalid",
			Message: "The multi-factor sign-in has expired or is not valid. Sign in again."}
	case auth0.KindAuthorizationPending:
		return Outcome{Status: http.StatusBadRequest, Code: "authorization_pending", RetryAfter: pollInterval,
			Message: "The second factor has not been approved yet. Try again after Retry-After seconds."}
	case auth0.KindSlowDown:
		return Outcome{Status: http.StatusTooManyRequests, Code: "slow_down", RetryAfter: 2 * pollInterval,
			Message: "Polling too fast. Wait Retry-After seconds before trying again."}
	case auth0.KindAlreadyEnrolled:
		return Outcome{Status: http.StatusConflict, Code: "already_enrolled",
			Message: "This account already has a second factor: use /mfa/challenge with it."}
	case auth0.KindEnrollmentRequired:
		return Outcome{Status: http.StatusForbidden, Code: "mfa_enrollment_required",
			Message: "This account has no second factor this application can use. Enroll one first."}
	case auth0.KindTooManyAttempts:
		return Outcome{Status: http.StatusTooManyRequests, Code: "too_many_attempts",
			Message: "Too many attempts. The account or address is temporarily blocked; check your email or try again later."}
	case auth0.KindRateLimited:
		return Outcome{Status: http.StatusTooManyRequests, Code: "rate_limited",
			Message: "Too many requests. Try again later.", RetryAfter: a0.RetryAfter}
	case auth0.KindTimeout:
		return Outcome{Status: http.StatusGatewayTimeout, Code: "upstream_timeout",
			Message: "The authentication service did not answer in time. Try again."}
	case auth0.KindClientRejected, auth0.KindMisconfigured:
		return misconfigured
	case auth0.KindSessionExpired:
		return Outcome{Status: http.StatusUnauthorized, Code: "session_expired",
			Message: "The session has expired or was signed out. Sign in again."}
	case auth0.KindInvalidGrant:
		return Outcome{Status: http.StatusBadRequest, Code: "invalid_grant",
			Message: "The authorization code is invalid, expired or already used, or does not match the redirect_uri or code_verifier."}
	case auth0.KindNotFound:
		return Outcome{Status: http.StatusNotFound, Code: "not_found",
			Message: "The account does not exist; it may have been deleted."}
	}
	return Outcome{Status: http.StatusBadGateway, Code: "upstream_error",
		Message: "The authentication service failed. Try again."}
}

var misconfigured = Outcome{Status: http.StatusInternalServerError, Code: "server_misconfigured",
	Message: "The service is not configured correctly. Please contact its operator."}

var internalError = Outcome{Status: http.StatusInternalServerError, Code: "internal_error",
	Message: "Something went wrong on our side. Try again."}

// pollInterval is how long an out-of-band poll waits between tries (RFC
// 8628's default; Auth0 does not say).
const pollInterval = 5 * time.Second

func accessDeniedMessage(a0 *auth0.Error) string {
	if strings.Contains(strings.ToLower(a0.Description), "authorization rejected") {
		return "The sign-in was rejected on the second factor."
	}
	switch a0.Code {
	case "mfa_required":
		return "This account requires a second factor, but Auth0 gave no way to provide one. Sign in again."
	case "password_leaked":
		return "This login was blocked because the password appeared in a data breach. Check your email for how to reset it."
	case "unauthorized":
		return "This account is blocked."
	case "requires_verification":
		return "This login needs a verification step that this endpoint cannot perform."
	}
	return "Access denied."
}

func (o Outcome) retryAfterHeader() string {
	if o.RetryAfter <= 0 {
		return ""
	}
	return strconv.Itoa(int(o.RetryAfter.Round(time.Second) / time.Second))
}
