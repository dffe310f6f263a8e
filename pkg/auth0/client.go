package auth0

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxBody bounds what we read of any answer: Auth0's are a few KiB, and a
// misbehaving proxy must not make us buffer megabytes.
const maxBody = 64 << 10

// PasswordRealmGrant asks for a token in a named connection (the realm), so
// the tenant needs no "Default Directory".
const PasswordRealmGrant = "http://auth0.com/oauth/grant-type/password-realm"

// Client calls the Auth0 Authentication API. It is safe for concurrent use
// and meant to be built once per process.
type Client struct {
	cfg       Config
	http      *http.Client
	signupURL string
	tokenURL  string
	// retryDelay is the jittered pause before the token call's one retry.
	retryDelay func() time.Duration
}

// NewClient returns a client for cfg. A nil hc means NewHTTPClient().
func NewClient(cfg Config, hc *http.Client) *Client {
	if hc == nil {
		hc = NewHTTPClient()
	}
	return &Client{
		cfg:        cfg,
		http:       hc,
		signupURL:  cfg.BaseURL + "/dbconnections/signup",
		tokenURL:   cfg.BaseURL + "/oauth/token",
		retryDelay: func() time.Duration { return 50*time.Millisecond + rand.N(100*time.Millisecond) },
	}
}

// NewHTTPClient returns the client a Lambda process keeps for its lifetime:
// bounded at every step, and keeping the connection to Auth0 alive between
// invocations.
func NewHTTPClient() *http.Client {
	return &http.Client{
		Timeout: RequestTimeout,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: DialTimeout, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   DialTimeout,
			ResponseHeaderTimeout: RequestTimeout,
			MaxIdleConns:          4,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       IdleConnTimeout,
			ForceAttemptHTTP2:     true,
		},
		// Auth0 never redirects these calls; following one could send the
		// password elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// SignupResult is the user Auth0 created.
type SignupResult struct {
	// ID is Auth0's _id, without the "auth0|" prefix.
	ID            string
	Email         string
	EmailVerified bool
}

// UserID is the "sub" that this user's tokens carry.
func (r SignupResult) UserID() string { return "auth0|" + r.ID }

type signupRequest struct {
	ClientID   string `json:"client_id"`
	Email      string `json:"email"`
	Password   string `json:"password"`
	Connection string `json:"connection"`
}

type signupAnswer struct {
	ID            string `json:"_id"`
	AltID         string `json:"id"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
}

// Signup creates a user in the configured database connection. It is never
// retried: a request that reached Auth0 may have created the user.
func (c *Client) Signup(ctx context.Context, email, password string) (SignupResult, error) {
	body, err := json.Marshal(signupRequest{ClientID: c.cfg.ClientID, Email: email, Password: password, Connection: c.cfg.Connection})
	if err != nil {
		return SignupResult{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.signupURL, bytes.NewReader(body))
	if err != nil {
		return SignupResult{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	var a signupAnswer
	err = c.do(ctx, req, func(status int, header http.Header, data []byte) error {
		if status != http.StatusOK && status != http.StatusCreated {
			return parseError(status, header, data, classifySignup)
		}
		if json.Unmarshal(data, &a) != nil {
			return &Error{Kind: KindUpstream, Status: status, Description: "unreadable signup answer"}
		}
		if a.ID == "" {
			a.ID = strings.TrimPrefix(a.AltID, "auth0|")
		}
		if a.ID == "" {
			return &Error{Kind: KindUpstream, Status: status, Description: "signup answer without a user id"}
		}
		return nil
	})
	if err != nil {
		return SignupResult{}, err
	}
	return SignupResult{ID: a.ID, Email: a.Email, EmailVerified: a.EmailVerified}, nil
}

// TokenRequest is one Resource Owner Password login.
type TokenRequest struct {
	Username     string
	Password     string
	ClientSecret string
	// ClientIP is the end user's address, sent as auth0-forwarded-for so
	// brute-force protection sees the user rather than this server.
	ClientIP string
}

// Token is Auth0's successful token answer.
type Token struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

// Token logs a user in with the password-realm grant. A failure that says
// nothing about the credentials (5xx, dropped connection) is retried once
// after a short jittered pause, when the deadline leaves room for it.
func (c *Client) Token(ctx context.Context, tr TokenRequest) (Token, error) {
	form := url.Values{
		"grant_type": {PasswordRealmGrant}, "realm": {c.cfg.Connection}, "scope": {c.cfg.Scope},
		"audience": {c.cfg.Audience}, "client_id": {c.cfg.ClientID}, "client_secret": {tr.ClientSecret},
		"username": {tr.Username}, "password": {tr.Password},
	}.Encode()
	tok, err := c.token(ctx, form, tr.ClientIP)
	var e *Error
	if errors.As(err, &e) && e.Kind == KindUpstream {
		delay := c.retryDelay()
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < delay+time.Second {
			return tok, err
		}
		select {
		case <-ctx.Done():
			return tok, err
		case <-time.After(delay):
		}
		return c.token(ctx, form, tr.ClientIP)
	}
	return tok, err
}

func (c *Client) token(ctx context.Context, form, clientIP string) (Token, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.tokenURL, strings.NewReader(form))
	if err != nil {
		return Token{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if clientIP != "" {
		req.Header.Set("Auth0-Forwarded-For", clientIP)
	}
	var t Token
	err = c.do(ctx, req, func(status int, header http.Header, data []byte) error {
		if status != http.StatusOK {
			return parseError(status, header, data, classifyToken)
		}
		if json.Unmarshal(data, &t) != nil || t.AccessToken == "" {
			return &Error{Kind: KindUpstream, Status: status, Description: "unreadable token answer"}
		}
		return nil
	})
	if err != nil {
		return Token{}, err
	}
	return t, nil
}

// do sends req, reads at most maxBody bytes of the answer and hands them to
// read.
func (c *Client) do(ctx context.Context, req *http.Request, read func(status int, header http.Header, body []byte) error) error {
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return transportError(ctx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return transportError(ctx, err)
	}
	if len(data) > maxBody {
		return &Error{Kind: KindUpstream, Status: resp.StatusCode,
			Description: fmt.Sprintf("answer larger than %d bytes", maxBody)}
	}
	return read(resp.StatusCode, resp.Header, data)
}

func transportError(ctx context.Context, err error) *Error {
	kind := KindUpstream
	var netErr net.Error
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &netErr) && netErr.Timeout()) {
		kind = KindTimeout
	}
	// url.Error repeats the URL; the cause alone is what an operator needs.
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return &Error{Kind: kind, Err: err}
}
