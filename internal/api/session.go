package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Revoker revokes refresh tokens; *auth0.Client is one.
type Revoker interface {
	Revoke(ctx context.Context, refreshToken, clientSecret string) error
}

// PasswordResetter sends password-reset emails; *auth0.Client is one.
type PasswordResetter interface {
	ChangePassword(ctx context.Context, email string) error
}

// PasswordResetMessage is the whole answer to POST /password/reset, the
// same whether or not an account exists for the address.
const PasswordResetMessage = "If an account exists for this email, a link to reset the password has been sent."

var logoutBody = bodySpec{names: []string{"refresh_token"}, form: true, example: `{"refresh_token": "..."}`}

var resetBody = bodySpec{names: []string{"email"}, form: true, example: `{"email": "..."}`}

// NewLogoutHandler serves POST /logout: it revokes the refresh token and
// answers 204, also for a token that was already revoked or never valid.
// Access tokens already issued stay valid until they expire.
func NewLogoutHandler(client Revoker, secret SecretSource, logger *slog.Logger) Handler {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return serve(ctx, logger, "POST /logout", &ev, decodeLogout, func(ctx context.Context, token string, l *requestLog) (events.APIGatewayV2HTTPResponse, error) {
			err := withClientSecret(ctx, secret, l, func(clientSecret string) error {
				return client.Revoke(ctx, token, clientSecret)
			})
			if err != nil {
				return events.APIGatewayV2HTTPResponse{}, err
			}
			return emptyResponse(http.StatusNoContent), nil
		}), nil
	}
}

func decodeLogout(ev *events.APIGatewayV2HTTPRequest, _ *requestLog) (string, error) {
	if err := checkPost(ev); err != nil {
		return "", err
	}
	f, err := decodeBody(ev, logoutBody)
	if err != nil {
		return "", err
	}
	return requiredToken(f, "refresh_token", MaxTokenBytes)
}

// NewPasswordResetHandler serves POST /password/reset: Auth0 emails a reset
// link if the account exists. The answer does not say whether it does.
func NewPasswordResetHandler(client PasswordResetter, logger *slog.Logger) Handler {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return serve(ctx, logger, "POST /password/reset", &ev, decodeReset, func(ctx context.Context, email string, l *requestLog) (events.APIGatewayV2HTTPResponse, error) {
			t0 := time.Now()
			err := client.ChangePassword(ctx, email)
			l.auth0Time = time.Since(t0)
			if err != nil {
				return events.APIGatewayV2HTTPResponse{}, err
			}
			return jsonResponse(http.StatusAccepted, MessageBody{Message: PasswordResetMessage}), nil
		}), nil
	}
}

func decodeReset(ev *events.APIGatewayV2HTTPRequest, l *requestLog) (string, error) {
	if err := checkPost(ev); err != nil {
		return "", err
	}
	f, err := decodeBody(ev, resetBody)
	if err != nil {
		return "", err
	}
	if !f.has("email") {
		return "", invalid("email: required")
	}
	if err := checkEmail(f["email"]); err != nil {
		return "", err
	}
	l.email = f["email"]
	return f["email"], nil
}
