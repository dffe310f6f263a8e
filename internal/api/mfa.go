package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/auth0-sam-go/authapi/pkg/auth0"
	"github.com/aws/aws-lambda-go/events"
)

// The MFA routes of the token function. They follow a 403 mfa_required of
// POST /token and are authorised by its mfa_token, not by the JWT
// authorizer. The mfa_token, OTP secrets, codes and recovery codes are
// credentials: they travel in bodies and headers only, are never logged,
// and no call that carries one is retried.

// MFAClient is Auth0's MFA API; *auth0.Client is one.
type MFAClient interface {
	MFAAuthenticators(ctx context.Context, mfaToken string) ([]auth0.Authenticator, error)
	MFAAssociate(ctx context.Context, r auth0.MFAAssociateRequest) (auth0.MFAEnrollment, error)
	MFAChallenge(ctx context.Context, r auth0.MFAChallengeRequest) (auth0.MFAChallenge, error)
}

// EnvMFAEnrollment is the token function's switch for POST /mfa/enroll,
// set from the stack parameter MfaEnrollment: "enabled" (or unset) or
// "disabled".
const EnvMFAEnrollment = "MFA_ENROLLMENT"

// MFAEnrollmentEnabled reads EnvMFAEnrollment from getenv.
func MFAEnrollmentEnabled(getenv func(string) string) (bool, error) {
	switch v := strings.TrimSpace(getenv(EnvMFAEnrollment)); v {
	case "", "enabled":
		return true, nil
	case "disabled":
		return false, nil
	default:
		return false, fmt.Errorf("%s: %q is neither enabled nor disabled", EnvMFAEnrollment, v)
	}
}

// MFARoutes are the /mfa/* routes of the token function; enroll false
// turns POST /mfa/enroll off (403 mfa_enrollment_disabled).
func MFARoutes(client MFAClient, secret SecretSource, enroll bool, logger *slog.Logger) []Route {
	return []Route{
		{Method: http.MethodGet, Path: "/mfa/authenticators", Handler: NewMFAAuthenticatorsHandler(client, logger)},
		{Method: http.MethodPost, Path: "/mfa/enroll", Handler: NewMFAEnrollHandler(client, secret, enroll, logger)},
		{Method: http.MethodPost, Path: "/mfa/challenge", Handler: NewMFAChallengeHandler(client, secret, logger)},
	}
}

// Limits of the MFA request fields. Auth0's mfa_tokens are under 1 KiB,
// codes a few dozen characters.
const (
	MaxMFATokenBytes = 4096
	maxMFACodeBytes  = 128
	maxAuthIDBytes   = 256
)

// AuthenticatorBody is one factor of GET /mfa/authenticators.
type AuthenticatorBody struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	// Channel is "sms", "email" or "auth0" (push) for type oob.
	Channel string `json:"channel,omitempty"`
	// Name is a masked phone number or address.
	Name   string `json:"name,omitempty"`
	Active bool   `json:"active"`
}

// MFAEnrollBody answers POST /mfa/enroll.
type MFAEnrollBody struct {
	Type          string   `json:"type"`
	Secret        string   `json:"secret,omitempty"`
	BarcodeURI    string   `json:"barcode_uri,omitempty"`
	RecoveryCodes []string `json:"recovery_codes,omitempty"`
	OOBCode       string   `json:"oob_code,omitempty"`
	BindingMethod string   `json:"binding_method,omitempty"`
}

// MFAChallengeBody answers POST /mfa/challenge.
type MFAChallengeBody struct {
	ChallengeType string `json:"challenge_type"`
	OOBCode       string `json:"oob_code,omitempty"`
	BindingMethod string `json:"binding_method,omitempty"`
}

var (
	errEnrollmentDisabled = &RequestError{Status: http.StatusForbidden, Code: "mfa_enrollment_disabled",
		Message: "Enrolling a second factor through this API is turned off; ask the operator how to enroll."}
	errNoBearer = invalid("send the mfa_token as the bearer token of the Authorization header")
	errTokenURL = invalid("credentials never go in the URL: send the mfa_token in the Authorization header or the body, and codes in the body")
)

// NewMFAAuthenticatorsHandler serves GET /mfa/authenticators, authorised
// by "Authorization: Bearer <mfa_token>".
func NewMFAAuthenticatorsHandler(client MFAClient, logger *slog.Logger) Handler {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return mfaServe(ctx, logger, "GET /mfa/authenticators", func(ctx context.Context, l *requestLog) (any, error) {
			if tokenInURL(&ev) {
				return nil, errTokenURL
			}
			scheme, token, _ := strings.Cut(header(ev.Headers, "authorization"), " ")
			token = strings.TrimSpace(token)
			if !strings.EqualFold(scheme, "Bearer") || token == "" {
				return nil, errNoBearer
			}
			if err := checkMFAToken(token); err != nil {
				return nil, err
			}
			t0 := time.Now()
			list, err := client.MFAAuthenticators(ctx, token)
			l.auth0Time = time.Since(t0)
			if err != nil {
				return nil, err
			}
			return authenticatorBodies(list), nil
		}), nil
	}
}

// authenticatorBodies keeps the factors the contract can describe: a type
// it names, and a channel only when it names it.
func authenticatorBodies(list []auth0.Authenticator) []AuthenticatorBody {
	out := []AuthenticatorBody{} // [] rather than null when there are none
	for _, a := range list {
		if a.Type != "otp" && a.Type != "oob" && a.Type != "recovery-code" {
			continue
		}
		b := AuthenticatorBody{ID: a.ID, Type: a.Type, Name: a.Name, Active: a.Active}
		if a.OOBChannel == "sms" || a.OOBChannel == "email" || a.OOBChannel == "auth0" {
			b.Channel = a.OOBChannel
		}
		out = append(out, b)
	}
	return out
}

var enrollSpec = bodySpec{
	names:   []string{"mfa_token", "type", "channel", "phone_number"},
	form:    true,
	example: `{"mfa_token": "...", "type": "otp"}`,
}

// e164 is a phone number as Auth0 takes it for SMS.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// NewMFAEnrollHandler serves POST /mfa/enroll. Auth0 lets whoever holds
// the password enroll the first factor of a user who has none; enroll
// false refuses every request (MfaEnrollment=disabled).
func NewMFAEnrollHandler(client MFAClient, secret SecretSource, enroll bool, logger *slog.Logger) Handler {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return mfaServe(ctx, logger, "POST /mfa/enroll", func(ctx context.Context, l *requestLog) (any, error) {
			if !enroll {
				return nil, errEnrollmentDisabled
			}
			f, err := decodeMFABody(&ev, enrollSpec)
			if err != nil {
				return nil, err
			}
			req := auth0.MFAAssociateRequest{MFAToken: f["mfa_token"], Type: f["type"], Channel: f["channel"], PhoneNumber: f["phone_number"]}
			switch {
			case req.Type != "otp" && req.Type != "oob":
				return nil, invalid(`type: must be "otp" or "oob"`)
			case req.Type == "otp" && (f.has("channel") || f.has("phone_number")):
				return nil, invalid(`channel, phone_number: only with type "oob"`)
			case req.Type == "oob" && req.Channel != "sms" && req.Channel != "email":
				return nil, invalid(`channel: must be "sms" or "email" with type "oob"`)
			case req.Channel == "sms" && !e164.MatchString(req.PhoneNumber):
				return nil, invalid("phone_number: required with channel sms, in E.164 form such as +15555550100")
			case req.Channel == "email" && f.has("phone_number"):
				return nil, invalid("phone_number: only with channel sms")
			}
			var en auth0.MFAEnrollment
			err = withClientSecret(ctx, secret, l, func(clientSecret string) (err error) {
				req.ClientSecret = clientSecret
				en, err = client.MFAAssociate(ctx, req)
				return err
			})
			if err != nil {
				return nil, err
			}
			return MFAEnrollBody{Type: en.Type, Secret: en.Secret, BarcodeURI: en.BarcodeURI,
				RecoveryCodes: en.RecoveryCodes, OOBCode: en.OOBCode, BindingMethod: en.BindingMethod}, nil
		}), nil
	}
}

var challengeSpec = bodySpec{
	names:   []string{"mfa_token", "authenticator_id", "challenge_type"},
	form:    true,
	example: `{"mfa_token": "..."}`,
}

// NewMFAChallengeHandler serves POST /mfa/challenge.
func NewMFAChallengeHandler(client MFAClient, secret SecretSource, logger *slog.Logger) Handler {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return mfaServe(ctx, logger, "POST /mfa/challenge", func(ctx context.Context, l *requestLog) (any, error) {
			f, err := decodeMFABody(&ev, challengeSpec)
			if err != nil {
				return nil, err
			}
			req := auth0.MFAChallengeRequest{MFAToken: f["mfa_token"], AuthenticatorID: f["authenticator_id"], ChallengeType: f["challenge_type"]}
			switch {
			case f.has("challenge_type") && req.ChallengeType != "otp" && req.ChallengeType != "oob":
				return nil, invalid(`challenge_type: must be "otp" or "oob"`)
			case f.has("authenticator_id"):
				if err := checkToken("authenticator_id", req.AuthenticatorID, maxAuthIDBytes); err != nil {
					return nil, err
				}
			}
			var ch auth0.MFAChallenge
			err = withClientSecret(ctx, secret, l, func(clientSecret string) (err error) {
				req.ClientSecret = clientSecret
				ch, err = client.MFAChallenge(ctx, req)
				return err
			})
			if err != nil {
				return nil, err
			}
			return MFAChallengeBody{ChallengeType: ch.ChallengeType, OOBCode: ch.OOBCode, BindingMethod: ch.BindingMethod}, nil
		}), nil
	}
}

// mfaServe runs an MFA route: the URL check, the budget, the call, a 200
// with call's body or the error's outcome, and the one log line.
func mfaServe(ctx context.Context, logger *slog.Logger, route string,
	call func(ctx context.Context, l *requestLog) (any, error),
) events.APIGatewayV2HTTPResponse {
	return logged(ctx, logger, route, func(l *requestLog) (events.APIGatewayV2HTTPResponse, string) {
		callCtx, cancel := withBudget(ctx)
		defer cancel()
		body, err := call(callCtx, l)
		if err != nil {
			l.observe(err)
			return failure(err)
		}
		return jsonResponse(http.StatusOK, body), ""
	})
}

// decodeMFABody reads a JSON or form body of spec and checks its
// mfa_token.
func decodeMFABody(ev *events.APIGatewayV2HTTPRequest, spec bodySpec) (fields, error) {
	if tokenInURL(ev) {
		return nil, errTokenURL
	}
	f, err := decodeBody(ev, spec)
	if err != nil {
		return nil, err
	}
	_, err = readMFAToken(f)
	return f, err
}

// tokenInURL reports a credential in the query string: it would be in
// access logs and browser histories, so it is refused, not used.
func tokenInURL(ev *events.APIGatewayV2HTTPRequest) bool {
	for _, name := range []string{"mfa_token", "otp", "recovery_code", "binding_code", "oob_code"} {
		if _, ok := ev.QueryStringParameters[name]; ok {
			return true
		}
	}
	return false
}

func checkMFAToken(v string) error { return checkToken("mfa_token", v, MaxMFATokenBytes) }

// checkToken checks an opaque value that goes into a header or body as is:
// present, bounded, printable ASCII without spaces.
func checkToken(name, v string, maxBytes int) error {
	if err := checkText(name, v, maxBytes); err != nil {
		return err
	}
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] > '~' {
			return invalid(name + ": must be printable ASCII without spaces")
		}
	}
	return nil
}
