package api

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/auth0-sam-go/authapi/pkg/auth0"
	"github.com/aws/aws-lambda-go/events"
)

// Handler is the shape lambda.Start takes for an HTTP API route.
type Handler func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// Signupper creates users; *auth0.Client is one.
type Signupper interface {
	Signup(ctx context.Context, email, password string) (auth0.SignupResult, error)
}

// TokenIssuer logs users in; *auth0.Client is one.
type TokenIssuer interface {
	Token(ctx context.Context, req auth0.TokenRequest) (auth0.Token, error)
}

// SecretSource gives the Auth0 client secret; *secret.Store is one.
// Refresh re-reads it after Auth0 rejected the current one.
type SecretSource interface {
	Get(ctx context.Context) (string, error)
	Refresh(ctx context.Context) (string, error)
}

// Deadline budget: answer before Lambda's deadline with this much to spare,
// so a hanging Auth0 yields our 504 rather than a Lambda timeout.
const (
	// A 128 MB function gets a fraction of a vCPU: a tighter floor could
	// be eaten by scheduling alone.
	minMargin     = 200 * time.Millisecond
	maxMargin     = 500 * time.Millisecond
	defaultBudget = auth0.RequestTimeout
)

func withBudget(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithTimeout(ctx, defaultBudget)
	}
	margin := min(max(time.Until(deadline)/10, minMargin), maxMargin)
	return context.WithDeadline(ctx, deadline.Add(-margin))
}

// serve runs what every route shares: decode, budget, call, answer, log.
func serve[T any](ctx context.Context, logger *slog.Logger, route string, ev *events.APIGatewayV2HTTPRequest,
	decode func(ev *events.APIGatewayV2HTTPRequest, l *requestLog) (T, error),
	call func(ctx context.Context, in T, l *requestLog) (events.APIGatewayV2HTTPResponse, error),
) (resp events.APIGatewayV2HTTPResponse) {
	return logged(ctx, logger, route, func(l *requestLog) (events.APIGatewayV2HTTPResponse, string) {
		in, err := decode(ev, l)
		if err != nil {
			l.failure = err
			return failure(err)
		}
		callCtx, cancel := withBudget(ctx)
		defer cancel()
		resp, err := call(callCtx, in, l)
		if err != nil {
			l.observe(err)
			return failure(err)
		}
		return resp, ""
	})
}

// decodeCredentials reads {email, password} and notes the email for the log.
func decodeCredentials(ev *events.APIGatewayV2HTTPRequest, l *requestLog) (Credentials, error) {
	c, err := DecodeCredentials(ev)
	l.email = c.Email
	return c, err
}

// logged runs handle behind a panic guard and writes the request's one log
// line; handle returns the response and its error code ("" on success).
func logged(ctx context.Context, logger *slog.Logger, route string,
	handle func(l *requestLog) (events.APIGatewayV2HTTPResponse, string),
) (resp events.APIGatewayV2HTTPResponse) {
	start := time.Now()
	l := requestLog{route: route}
	code := ""
	defer func() {
		if r := recover(); r != nil {
			// A bug must still give the caller JSON and the operator a line.
			l.failure = errors.New("panic in handler")
			resp, code = errorResponse(internalError), internalError.Code
		}
		l.write(ctx, logger, start, resp.StatusCode, code)
	}()
	resp, code = handle(&l)
	return resp
}

func failure(err error) (events.APIGatewayV2HTTPResponse, string) {
	o := OutcomeOf(err)
	return errorResponse(o), o.Code
}

// NewSignupHandler serves POST /signup.
func NewSignupHandler(client Signupper, logger *slog.Logger) Handler {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return serve(ctx, logger, "POST /signup", &ev, decodeCredentials, func(ctx context.Context, c Credentials, l *requestLog) (events.APIGatewayV2HTTPResponse, error) {
			t0 := time.Now()
			user, err := client.Signup(ctx, c.Email, c.Password)
			l.auth0Time = time.Since(t0)
			if err != nil {
				return events.APIGatewayV2HTTPResponse{}, err
			}
			return jsonResponse(http.StatusCreated, SignupBody{Message: "User Created", UserID: user.UserID()}), nil
		}), nil
	}
}

// NewTokenHandler serves POST /token: every grant in tokenGrants.
func NewTokenHandler(client TokenIssuer, secret SecretSource, logger *slog.Logger) Handler {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		clientIP := sourceIP(&ev)
		decode := func(ev *events.APIGatewayV2HTTPRequest, l *requestLog) (auth0.TokenRequest, error) {
			tr, err := decodeTokenRequest(ev)
			l.email, l.grant = tr.Username, tr.Grant
			return tr, err
		}
		return serve(ctx, logger, "POST /token", &ev, decode, func(ctx context.Context, req auth0.TokenRequest, l *requestLog) (events.APIGatewayV2HTTPResponse, error) {
			req.ClientIP = clientIP
			var tok auth0.Token
			err := withClientSecret(ctx, secret, l, func(clientSecret string) (err error) {
				req.ClientSecret = clientSecret
				tok, err = client.Token(ctx, req)
				return err
			})
			if err != nil {
				return events.APIGatewayV2HTTPResponse{}, err
			}
			return jsonResponse(http.StatusOK, TokenBody{
				Data: tok.AccessToken, AccessToken: tok.AccessToken, TokenType: tok.TokenType,
				ExpiresIn: tok.ExpiresIn, RefreshToken: tok.RefreshToken, Scope: tok.Scope, RecoveryCode: tok.RecoveryCode,
			}), nil
		}), nil
	}
}

// withClientSecret makes an Auth0 call that authenticates with the client
// secret. If Auth0 rejects the secret, it may have been rotated since it
// was read: it is re-read once and, if it changed, the call is made again.
// That second call is safe for every grant: Auth0 checks the client before
// the grant, so a rejected call spent no refresh token or code.
func withClientSecret(ctx context.Context, secret SecretSource, l *requestLog, call func(clientSecret string) error) error {
	clientSecret, err := secret.Get(ctx)
	if err != nil {
		return &secretError{err}
	}
	t0 := time.Now()
	defer func() { l.auth0Time = time.Since(t0) }()
	err = call(clientSecret)
	if a0 := asAuth0(err); a0 != nil && a0.Kind == auth0.KindClientRejected {
		l.secretRead = true
		fresh, rerr := secret.Refresh(ctx)
		switch {
		case rerr != nil:
			// Whether it was rotated cannot be known: try again later.
			err = &secretError{rerr}
		case fresh != clientSecret:
			err = call(fresh)
		}
	}
	return err
}

func sourceIP(ev *events.APIGatewayV2HTTPRequest) string {
	ip := net.ParseIP(ev.RequestContext.HTTP.SourceIP)
	if ip == nil {
		return ""
	}
	return ip.String()
}

func asAuth0(err error) *auth0.Error {
	var a0 *auth0.Error
	if errors.As(err, &a0) {
		return a0
	}
	return nil
}
