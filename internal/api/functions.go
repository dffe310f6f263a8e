package api

import "log/slog"

// The functions of the stack, each the routes it serves behind one router.
// functions/*/main.go and cmd/dev wire these, so both serve the same.

// TokenClient is what the token function asks of Auth0; *auth0.Client is one.
type TokenClient interface {
	TokenIssuer
	Revoker
	MFAClient
}

// TokenOption changes a setting of the token function.
type TokenOption func(*tokenSettings)

type tokenSettings struct {
	mfaEnrollment bool
}

// MFAEnrollment turns POST /mfa/enroll on (the default) or off: off, it
// answers 403 mfa_enrollment_disabled (stack parameter MfaEnrollment).
func MFAEnrollment(enabled bool) TokenOption {
	return func(s *tokenSettings) { s.mfaEnrollment = enabled }
}

// SignupClient is what the signup function asks of Auth0; *auth0.Client
// is one. No method needs the client secret.
type SignupClient interface {
	Signupper
	PasswordResetter
}

// NewTokenFunction serves POST /token, POST /logout and the /mfa/* routes.
func NewTokenFunction(client TokenClient, secret SecretSource, logger *slog.Logger, opts ...TokenOption) Handler {
	settings := tokenSettings{mfaEnrollment: true}
	for _, o := range opts {
		o(&settings)
	}
	routes := []Route{
		{Method: "POST", Path: "/token", Handler: NewTokenHandler(client, secret, logger)},
		{Method: "POST", Path: "/logout", Handler: NewLogoutHandler(client, secret, logger)},
	}
	return NewRouter(logger, append(routes, MFARoutes(client, secret, settings.mfaEnrollment, logger)...)...)
}

// NewSignupFunction serves POST /signup and POST /password/reset.
func NewSignupFunction(client SignupClient, logger *slog.Logger) Handler {
	return NewRouter(logger,
		Route{Method: "POST", Path: "/signup", Handler: NewSignupHandler(client, logger)},
		Route{Method: "POST", Path: "/password/reset", Handler: NewPasswordResetHandler(client, logger)},
	)
}
