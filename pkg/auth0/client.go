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

// Grants TokenRequest.Grant names, as Auth0 spells them.
const (
	// PasswordRealmGrant asks for a token in a named connection (the realm),
	// so the tenant needs no "Default Directory". It is the default grant.
	PasswordRealmGrant = "http://auth0.com/oauth/grant-type/password-realm"
	// RefreshTokenGrant trades a refresh token for a new token set.
	RefreshTokenGrant = "refresh_token"
	// AuthorizationCodeGrant trades a code from Universal Login.
	AuthorizationCodeGrant = "authorization_code"
	// MFAOTPGrant trades an mfa_token and an authenticator app's code.
	MFAOTPGrant = "http://auth0.com/oauth/grant-type/mfa-otp"
	// MFAOOBGrant trades an mfa_token and an out-of-band challenge: with the
	// binding code sent by SMS or email, or polled until a push is approved.
	MFAOOBGrant = "http://auth0.com/oauth/grant-type/mfa-oob"
	// MFARecoveryCodeGrant trades an mfa_token and a recovery code; the
	// answer may carry a new recovery code.
	MFARecoveryCodeGrant = "http://auth0.com/oauth/grant-type/mfa-recovery-code"
)

func isMFAGrant(grant string) bool {
	return grant == MFAOTPGrant || grant == MFAOOBGrant || grant == MFARecoveryCodeGrant
}

// Client calls the Auth0 Authentication API. It is safe for concurrent use
// and meant to be built once per process.
type Client struct {
	cfg       Config
	http      *http.Client
	signupURL string
	tokenURL  string
	revokeURL string
	resetURL  string
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
		revokeURL:  cfg.BaseURL + "/oauth/revoke",
		resetURL:   cfg.BaseURL + "/dbconnections/change_password",
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
			return parseError(status, header, data, classifySignup, password)
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

// TokenRequest is one call to /oauth/token. Grant chooses which fields
// are sent; the others are ignored.
type TokenRequest struct {
	// Grant is one of the *Grant constants; "" means PasswordRealmGrant.
	Grant        string
	ClientSecret string
	// ClientIP is the end user's address, sent as auth0-forwarded-for so
	// brute-force protection sees the user rather than this server.
	ClientIP string

	// PasswordRealmGrant.
	Username string
	Password string
	// RefreshTokenGrant.
	RefreshToken string
	// AuthorizationCodeGrant; CodeVerifier only with PKCE.
	Code         string
	RedirectURI  string
	CodeVerifier string
	// The MFA grants: MFAToken and OTP, OOBCode (and BindingCode when the
	// code was sent to the user) or RecoveryCode.
	MFAToken     string
	OTP          string
	OOBCode      string
	BindingCode  string
	RecoveryCode string
}

// Token is Auth0's successful token answer.
type Token struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
	// RecoveryCode replaces the one an mfa-recovery-code grant used up: the
	// user must be shown it.
	RecoveryCode string `json:"recovery_code,omitempty"`
}

// Token asks Auth0 for tokens with tr's grant. Only the password grant is
// retried: a failure that says nothing about the credentials (5xx, dropped
// connection) is retried once after a short jittered pause, when the
// deadline leaves room for it. Other grants spend what they send (a code is
// single use; with rotation a replayed refresh token revokes its family),
// so their failures go back to the caller.
func (c *Client) Token(ctx context.Context, tr TokenRequest) (Token, error) {
	if tr.Grant == "" {
		tr.Grant = PasswordRealmGrant
	}
	values, err := c.tokenForm(tr)
	if err != nil {
		return Token{}, err
	}
	form := values.Encode()
	classify := func(e *Error) { classifyToken(e, tr.Grant) }
	sent := []string{tr.ClientSecret, tr.Password, tr.RefreshToken, tr.Code, tr.CodeVerifier,
		tr.MFAToken, tr.OTP, tr.OOBCode, tr.BindingCode, tr.RecoveryCode}
	tok, err := c.token(ctx, form, tr.ClientIP, classify, sent)
	var e *Error
	if tr.Grant == PasswordRealmGrant && errors.As(err, &e) && e.Kind == KindUpstream {
		delay := c.retryDelay()
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < delay+time.Second {
			return tok, err
		}
		select {
		case <-ctx.Done():
			return tok, err
		case <-time.After(delay):
		}
		return c.token(ctx, form, tr.ClientIP, classify, sent)
	}
	return tok, err
}

// tokenForm is the /oauth/token body of tr's grant.
func (c *Client) tokenForm(tr TokenRequest) (url.Values, error) {
	form := url.Values{"grant_type": {tr.Grant}, "client_id": {c.cfg.ClientID}, "client_secret": {tr.ClientSecret}}
	switch tr.Grant {
	case PasswordRealmGrant:
		form.Set("realm", c.cfg.Connection)
		form.Set("scope", c.cfg.Scope)
		form.Set("audience", c.cfg.Audience)
		form.Set("username", tr.Username)
		form.Set("password", tr.Password)
	case RefreshTokenGrant:
		// Without scope Auth0 grants the login's scopes again.
		form.Set("refresh_token", tr.RefreshToken)
	case AuthorizationCodeGrant:
		form.Set("code", tr.Code)
		form.Set("redirect_uri", tr.RedirectURI)
		if tr.CodeVerifier != "" {
			form.Set("code_verifier", tr.CodeVerifier)
		}
	case MFAOTPGrant:
		form.Set("mfa_token", tr.MFAToken)
		form.Set("otp", tr.OTP)
	case MFAOOBGrant:
		form.Set("mfa_token", tr.MFAToken)
		form.Set("oob_code", tr.OOBCode)
		if tr.BindingCode != "" {
			form.Set("binding_code", tr.BindingCode)
		}
	case MFARecoveryCodeGrant:
		form.Set("mfa_token", tr.MFAToken)
		form.Set("recovery_code", tr.RecoveryCode)
	default:
		return nil, fmt.Errorf("auth0: unknown grant %q", tr.Grant)
	}
	return form, nil
}

func (c *Client) token(ctx context.Context, form, clientIP string, classify func(*Error), sent []string) (Token, error) {
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
			return parseError(status, header, data, classify, sent...)
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

// Revoke revokes a refresh token (and, as Auth0 does, the tokens rotated
// from it). An unknown or already revoked token is not an error: Auth0
// answers 200 for those too (RFC 7009 2.2). It is not retried; revoking
// again is harmless, so the caller may.
func (c *Client) Revoke(ctx context.Context, refreshToken, clientSecret string) error {
	form := url.Values{"client_id": {c.cfg.ClientID}, "client_secret": {clientSecret}, "token": {refreshToken}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.revokeURL, strings.NewReader(form))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(ctx, req, func(status int, header http.Header, data []byte) error {
		if status != http.StatusOK {
			return parseError(status, header, data, classifyRevoke, clientSecret, refreshToken)
		}
		return nil
	})
}

type changePasswordRequest struct {
	ClientID   string `json:"client_id"`
	Email      string `json:"email"`
	Connection string `json:"connection"`
}

// ChangePassword asks Auth0 to email a password-reset link to email.
// Auth0 answers the same for unknown addresses, so nil says nothing about
// whether the account exists. It needs no client secret, and is never
// retried: each call may send an email.
func (c *Client) ChangePassword(ctx context.Context, email string) error {
	body, err := json.Marshal(changePasswordRequest{ClientID: c.cfg.ClientID, Email: email, Connection: c.cfg.Connection})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.resetURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return c.do(ctx, req, func(status int, header http.Header, data []byte) error {
		if status != http.StatusOK {
			return parseError(status, header, data, classifyChangePassword)
		}
		return nil
	})
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
