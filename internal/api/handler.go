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

// serve runs what both routes share: decode, budget, call, answer, log.
func serve(ctx context.Context, logger *slog.Logger, route string, ev *events.APIGatewayV2HTTPRequest,
	call func(ctx context.Context, creds Credentials, l *requestLog) (events.APIGatewayV2HTTPResponse, error),
) (resp events.APIGatewayV2HTTPResponse) {
	return logged(ctx, logger, route, func(l *requestLog) (events.APIGatewayV2HTTPResponse, string) {
		creds, err := DecodeCredentials(ev)
		if err != nil {
			l.failure = err
			return failure(err)
		}
		l.email = creds.Email
		callCtx, cancel := withBudget(ctx)
		defer cancel()
		resp, err := call(callCtx, creds, l)
		if err != nil {
			l.observe(err)
			return failure(err)
		}
		return resp, ""
	})
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
		return serve(ctx, logger, "POST /signup", &ev, func(ctx context.Context, c Credentials, l *requestLog) (events.APIGatewayV2HTTPResponse, error) {
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

// NewTokenHandler serves POST /token.
func NewTokenHandler(client TokenIssuer, secret SecretSource, logger *slog.Logger) Handler {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		clientIP := sourceIP(&ev)
		return serve(ctx, logger, "POST /token", &ev, func(ctx context.Context, c Credentials, l *requestLog) (events.APIGatewayV2HTTPResponse, error) {
			clientSecret, err := secret.Get(ctx)
			if err != nil {
				return events.APIGatewayV2HTTPResponse{}, &secretError{err}
			}
			req := auth0.TokenRequest{Username: c.Email, Password: c.Password, ClientSecret: clientSecret, ClientIP: clientIP}
			t0 := time.Now()
			tok, err := client.Token(ctx, req)
			if a0 := asAuth0(err); a0 != nil && a0.Kind == auth0.KindClientRejected {
				// The secret may have been rotated since we read it: re-read once.
				l.secretRead = true
				fresh, rerr := secret.Refresh(ctx)
				switch {
				case rerr != nil:
					// Whether it was rotated cannot be known: try again later.
					err = &secretError{rerr}
				case fresh != clientSecret:
					req.ClientSecret = fresh
					tok, err = client.Token(ctx, req)
				}
			}
			l.auth0Time = time.Since(t0)
			if err != nil {
				return events.APIGatewayV2HTTPResponse{}, err
			}
			return jsonResponse(http.StatusOK, TokenBody{
				Data: tok.AccessToken, AccessToken: tok.AccessToken, TokenType: tok.TokenType,
				ExpiresIn: tok.ExpiresIn, RefreshToken: tok.RefreshToken, Scope: tok.Scope,
			}), nil
		}), nil
	}
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
