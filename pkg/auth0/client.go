package auth0

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/auth0-sam-go/authapi/internal/flatjson"
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
	// The parts of the request bodies that depend only on cfg, encoded
	// once: see signupJSON and tokenForm.
	signupHead, signupTail string
	tokenForm              [3]string
	// retryDelay is the jittered pause before the token call's one retry.
	retryDelay func() time.Duration
}

// NewClient returns a client for cfg. A nil hc means NewHTTPClient().
func NewClient(cfg Config, hc *http.Client) *Client {
	if hc == nil {
		hc = NewHTTPClient()
	}
	q := url.QueryEscape
	return &Client{
		cfg:        cfg,
		http:       hc,
		signupURL:  cfg.BaseURL + "/dbconnections/signup",
		tokenURL:   cfg.BaseURL + "/oauth/token",
		signupHead: `{"client_id":` + string(flatjson.AppendString(nil, cfg.ClientID)) + `,"email":`,
		signupTail: `,"connection":` + string(flatjson.AppendString(nil, cfg.Connection)) + `}`,
		// url.Values.Encode's output, keys sorted, with the three
		// per-request values (client_secret, password, username) cut out.
		tokenForm: [3]string{
			"audience=" + q(cfg.Audience) + "&client_id=" + q(cfg.ClientID) + "&client_secret=",
			"&grant_type=" + q(PasswordRealmGrant) + "&password=",
			"&realm=" + q(cfg.Connection) + "&scope=" + q(cfg.Scope) + "&username=",
		},
		retryDelay: func() time.Duration { return 50*time.Millisecond + rand.N(100*time.Millisecond) },
	}
}

// Config returns the settings the client was built with.
func (c *Client) Config() Config { return c.cfg }

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

// signupJSON is what json.Marshal writes for
// {client_id, email, password, connection}, without its reflection.
func (c *Client) signupJSON(email, password string) []byte {
	b := make([]byte, 0, len(c.signupHead)+len(c.signupTail)+len(email)+len(password)+len(`,"password":`)+8)
	b = append(b, c.signupHead...)
	b = flatjson.AppendString(b, email)
	b = append(b, `,"password":`...)
	b = flatjson.AppendString(b, password)
	return append(b, c.signupTail...)
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
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.signupURL, bytes.NewReader(c.signupJSON(email, password)))
	if err != nil {
		return SignupResult{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	var a signupAnswer
	err = c.do(ctx, req, func(status int, header http.Header, data []byte) error {
		if status != http.StatusOK && status != http.StatusCreated {
			return parseError(status, header, data, classifySignup)
		}
		if !a.decode(data) {
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
	form := c.tokenFormFor(tr)
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

// tokenFormFor is what url.Values.Encode writes for the password-realm
// form, without building and sorting a map per request.
func (c *Client) tokenFormFor(tr TokenRequest) []byte {
	n := len(c.tokenForm[0]) + len(c.tokenForm[1]) + len(c.tokenForm[2])
	for _, v := range [...]string{tr.ClientSecret, tr.Password, tr.Username} {
		n += len(v) + len(v)/2 // room for some escapes
	}
	b := make([]byte, 0, n)
	b = append(b, c.tokenForm[0]...)
	b = appendQueryEscape(b, tr.ClientSecret)
	b = append(b, c.tokenForm[1]...)
	b = appendQueryEscape(b, tr.Password)
	b = append(b, c.tokenForm[2]...)
	return appendQueryEscape(b, tr.Username)
}

// appendQueryEscape appends url.QueryEscape(s).
func appendQueryEscape(dst []byte, s string) []byte {
	const upperhex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			dst = append(dst, c)
		case c == ' ':
			dst = append(dst, '+')
		default:
			dst = append(dst, '%', upperhex[c>>4], upperhex[c&15])
		}
	}
	return dst
}

func (c *Client) token(ctx context.Context, form []byte, clientIP string) (Token, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.tokenURL, bytes.NewReader(form))
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
		if !t.decode(data) || t.AccessToken == "" {
			return &Error{Kind: KindUpstream, Status: status, Description: "unreadable token answer"}
		}
		return nil
	})
	if err != nil {
		return Token{}, err
	}
	return t, nil
}

// answerBufs holds the buffers answers are read into; read copies what it
// keeps, so a warm function reads every answer without allocating.
var answerBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// do sends req, reads at most maxBody bytes of the answer and hands them to
// read, which must not keep the slice.
func (c *Client) do(ctx context.Context, req *http.Request, read func(status int, header http.Header, body []byte) error) error {
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return transportError(ctx, err)
	}
	defer resp.Body.Close()
	buf := answerBufs.Get().(*bytes.Buffer)
	defer answerBufs.Put(buf)
	buf.Reset()
	_, err = buf.ReadFrom(&io.LimitedReader{R: resp.Body, N: maxBody + 1})
	if err != nil {
		return transportError(ctx, err)
	}
	if buf.Len() > maxBody {
		return &Error{Kind: KindUpstream, Status: resp.StatusCode,
			Description: fmt.Sprintf("answer larger than %d bytes", maxBody)}
	}
	return read(resp.StatusCode, resp.Header, buf.Bytes())
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
