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
		return Outcome{Status: http.StatusForbidden, Code: "access_denied", Message: accessDeniedMessage(a0.Code)}
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
	}
	return Outcome{Status: http.StatusBadGateway, Code: "upstream_error",
		Message: "The authentication service failed. Try again."}
}

var misconfigured = Outcome{Status: http.StatusInternalServerError, Code: "server_misconfigured",
	Message: "The service is not configured correctly. Please contact its operator."}

var internalError = Outcome{Status: http.StatusInternalServerError, Code: "internal_error",
	Message: "Something went wrong on our side. Try again."}

func accessDeniedMessage(auth0Code string) string {
	switch auth0Code {
	case "mfa_required":
		return "This account requires multi-factor authentication, which this endpoint does not support."
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
