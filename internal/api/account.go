package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/auth0-sam-go/authapi/pkg/auth0"
	"github.com/aws/aws-lambda-go/events"
)

// AccountManager is the part of the Management API the account routes
// use; *auth0.Management is one.
type AccountManager interface {
	GetUser(ctx context.Context, id string) (auth0.User, error)
	DeleteUser(ctx context.Context, id string) error
	SendVerificationEmail(ctx context.Context, userID string) (auth0.Job, error)
}

// databaseUserPrefix starts the sub of every user of a database
// connection; other users (social, enterprise) have no password to check.
const databaseUserPrefix = "auth0|"

var (
	errNotDatabaseUser = &RequestError{Status: http.StatusForbidden, Code: "access_denied",
		Message: "Only accounts created with an email and a password can be managed here."}
	errWrongPassword = &RequestError{Status: http.StatusUnauthorized, Code: "invalid_credentials",
		Message: "Wrong password."}
	errMFAAccount = &RequestError{Status: http.StatusForbidden, Code: "access_denied",
		Message: "This account uses multi-factor authentication; it cannot be deleted with its password alone."}
)

var passwordBody = bodySpec{names: []string{"password"}, form: true, example: `{"password": "..."}`}

// Messages of the verification-email route.
const (
	verificationQueued = "A verification email has been queued; it can take a few minutes to arrive."
	alreadyVerified    = "The email address is already verified; no email was sent."
)

// accountUser is the user a request acts for: the sub the authorizer
// verified, of a user (not an application) of a database connection.
func accountUser(ev *events.APIGatewayV2HTTPRequest) (string, error) {
	a := ev.RequestContext.Authorizer
	if a == nil || a.JWT == nil || a.JWT.Claims["sub"] == "" {
		return "", errNoClaims
	}
	claims := a.JWT.Claims
	switch {
	case isMachine(claims):
		return "", errUserTokenRequired
	case !strings.HasPrefix(claims["sub"], databaseUserPrefix):
		return "", errNotDatabaseUser
	}
	return claims["sub"], nil
}

// NewDeleteMeHandler serves DELETE /me {"password"}. The account is the
// token's; the password is checked again first (a password-realm login
// whose token must carry the same sub), so a stolen access token alone
// deletes nothing. An account already gone answers 204 again, so a retry
// after a timeout is safe.
func NewDeleteMeHandler(client TokenIssuer, secret SecretSource, mgmt AccountManager, logger *slog.Logger) Handler {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return logged(ctx, logger, "DELETE /me", func(l *requestLog) (events.APIGatewayV2HTTPResponse, string) {
			sub, err := accountUser(&ev)
			if err != nil {
				return refuseClaims(l, err)
			}
			f, err := decodeBody(&ev, passwordBody)
			if err == nil && !f.has("password") {
				err = invalid("password: required")
			}
			if err == nil {
				err = checkText("password", f["password"], MaxPasswordBytes)
			}
			if err != nil {
				l.failure = err
				return failure(err)
			}
			callCtx, cancel := withBudget(ctx)
			defer cancel()
			t0 := time.Now()
			err = deleteAccount(callCtx, l, client, secret, mgmt, sub, f["password"], sourceIP(&ev))
			l.auth0Time = time.Since(t0)
			if err != nil {
				l.observe(err)
				return failure(accountError(err))
			}
			return emptyResponse(http.StatusNoContent), ""
		}), nil
	}
}

func deleteAccount(ctx context.Context, l *requestLog, client TokenIssuer, secret SecretSource, mgmt AccountManager,
	sub, password, clientIP string,
) error {
	u, err := mgmt.GetUser(ctx, sub)
	if isNotFound(err) {
		return nil // deleted already, by an earlier try
	}
	if err != nil {
		return err
	}
	if u.Email == "" {
		return errNotDatabaseUser
	}
	l.email = u.Email
	tok, err := passwordLogin(ctx, l, client, secret, auth0.TokenRequest{Username: u.Email, Password: password, ClientIP: clientIP})
	if err != nil {
		return err
	}
	if tok.Subject() != sub {
		// The password opens another account than the token's: refuse.
		return errWrongPassword
	}
	if err := mgmt.DeleteUser(ctx, sub); err != nil && !isNotFound(err) {
		return err
	}
	return nil
}

// passwordLogin is the token route's login with the client secret: when
// Auth0 rejects the secret, it is re-read once (it may have been rotated)
// and the login tried again.
func passwordLogin(ctx context.Context, l *requestLog, client TokenIssuer, secret SecretSource, req auth0.TokenRequest) (auth0.Token, error) {
	clientSecret, err := secret.Get(ctx)
	if err != nil {
		return auth0.Token{}, &secretError{err}
	}
	req.ClientSecret = clientSecret
	tok, err := client.Token(ctx, req)
	if a0 := asAuth0(err); a0 != nil && a0.Kind == auth0.KindClientRejected {
		l.secretRead = true
		fresh, rerr := secret.Refresh(ctx)
		switch {
		case rerr != nil:
			err = &secretError{rerr}
		case fresh != clientSecret:
			req.ClientSecret = fresh
			tok, err = client.Token(ctx, req)
		}
	}
	return tok, err
}

// accountError words the password check's refusals for an account route.
func accountError(err error) error {
	if a0 := asAuth0(err); a0 != nil {
		switch {
		case a0.Kind == auth0.KindInvalidCredentials:
			return errWrongPassword
		case a0.Code == "mfa_required":
			return errMFAAccount
		}
	}
	return err
}

func isNotFound(err error) bool {
	a0 := asAuth0(err)
	return a0 != nil && a0.Kind == auth0.KindNotFound
}

// NewVerificationEmailHandler serves POST /me/verification-email: Auth0
// queues a new verification email for the token's user (202). A verified
// address gets none (200), so the route cannot mail a user who has
// nothing to verify. Any request body is ignored.
func NewVerificationEmailHandler(mgmt AccountManager, logger *slog.Logger) Handler {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return logged(ctx, logger, "POST /me/verification-email", func(l *requestLog) (events.APIGatewayV2HTTPResponse, string) {
			sub, err := accountUser(&ev)
			if err != nil {
				return refuseClaims(l, err)
			}
			callCtx, cancel := withBudget(ctx)
			defer cancel()
			t0 := time.Now()
			verified, err := sendVerificationEmail(callCtx, l, mgmt, sub)
			l.auth0Time = time.Since(t0)
			switch {
			case err != nil:
				l.observe(err)
				return failure(err)
			case verified:
				return jsonResponse(http.StatusOK, MessageBody{Message: alreadyVerified}), ""
			}
			return jsonResponse(http.StatusAccepted, MessageBody{Message: verificationQueued}), ""
		}), nil
	}
}

func sendVerificationEmail(ctx context.Context, l *requestLog, mgmt AccountManager, sub string) (alreadyVerified bool, err error) {
	u, err := mgmt.GetUser(ctx, sub)
	if err != nil {
		return false, err
	}
	l.email = u.Email
	if u.EmailVerified {
		return true, nil
	}
	_, err = mgmt.SendVerificationEmail(ctx, sub)
	return false, err
}

// ManagementCredentials makes a failure to read the Management API's
// credentials a secret failure (503 secret_unavailable), as for the client
// secret.
func ManagementCredentials(src auth0.CredentialsSource) auth0.CredentialsSource {
	return secretCredentials{src}
}

type secretCredentials struct{ src auth0.CredentialsSource }

func (s secretCredentials) Get(ctx context.Context) (auth0.ClientCredentials, error) {
	c, err := s.src.Get(ctx)
	if err != nil {
		return c, &secretError{err}
	}
	return c, nil
}

func (s secretCredentials) Refresh(ctx context.Context) (auth0.ClientCredentials, error) {
	c, err := s.src.Refresh(ctx)
	if err != nil {
		return c, &secretError{err}
	}
	return c, nil
}

// ReadManagementCredentials reads the Management API's credentials once at
// cold start, in the phase the next ReadSecret ends. If that fails it says
// so (naming the secret, never its value); the account routes then answer
// 503 secret_unavailable until a later read succeeds.
func (i *Init) ReadManagementCredentials(src auth0.CredentialsSource) {
	if _, err := src.Get(context.Background()); err != nil {
		var se *secretError
		if errors.As(err, &se) {
			err = se.err
		}
		i.Logger.LogAttrs(context.Background(), slog.LevelError,
			"cannot read the Management API credentials: answering 503 secret_unavailable until they can be read",
			slog.String("route", i.route), slog.String("error", err.Error()))
	}
}
