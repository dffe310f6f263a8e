package api

import "log/slog"

// The functions of the stack, each the routes it serves behind one router.
// functions/*/main.go and cmd/dev wire these, so both serve the same.

// TokenClient is what the token function asks of Auth0; *auth0.Client is one.
type TokenClient interface {
	TokenIssuer
	Revoker
}

// SignupClient is what the signup function asks of Auth0; *auth0.Client
// is one. No method needs the client secret.
type SignupClient interface {
	Signupper
	PasswordResetter
}

// NewTokenFunction serves POST /token and POST /logout.
func NewTokenFunction(client TokenClient, secret SecretSource, logger *slog.Logger) Handler {
	return NewRouter(logger,
		Route{Method: "POST", Path: "/token", Handler: NewTokenHandler(client, secret, logger)},
		Route{Method: "POST", Path: "/logout", Handler: NewLogoutHandler(client, secret, logger)},
	)
}

// NewSignupFunction serves POST /signup and POST /password/reset.
func NewSignupFunction(client SignupClient, logger *slog.Logger) Handler {
	return NewRouter(logger,
		Route{Method: "POST", Path: "/signup", Handler: NewSignupHandler(client, logger)},
		Route{Method: "POST", Path: "/password/reset", Handler: NewPasswordResetHandler(client, logger)},
	)
}
