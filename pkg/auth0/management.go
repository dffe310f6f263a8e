package auth0

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// ClientCredentialsGrant is the grant of a machine-to-machine application.
const ClientCredentialsGrant = "client_credentials"

// ClientCredentials identify a machine-to-machine application.
type ClientCredentials struct {
	ID     string
	Secret string
}

// CredentialsSource gives the Management API's client credentials. Refresh
// re-reads them after Auth0 rejected the current ones: they may have been
// rotated.
type CredentialsSource interface {
	Get(ctx context.Context) (ClientCredentials, error)
	Refresh(ctx context.Context) (ClientCredentials, error)
}

// ManagementAudience is the identifier of the tenant's Management API. The
// token for it must be asked for, and the API called, on the same domain.
func (c Config) ManagementAudience() string { return c.BaseURL + "/api/v2/" }

// ClientCredentials asks for an access token of the application creds for
// audience (the client-credentials grant). It is not retried.
func (c *Client) ClientCredentials(ctx context.Context, creds ClientCredentials, audience string) (Token, error) {
	form := url.Values{
		"grant_type": {ClientCredentialsGrant}, "client_id": {creds.ID},
		"client_secret": {creds.Secret}, "audience": {audience},
	}.Encode()
	return c.token(ctx, form, "", classifyClientCredentials)
}

func classifyClientCredentials(e *Error) {
	switch {
	case e.Status == http.StatusTooManyRequests:
		e.Kind = KindRateLimited
	case e.Status >= 500:
		e.Kind = KindUpstream
	case e.Code == "invalid_client",
		e.Code == "access_denied" && e.Status == http.StatusUnauthorized:
		e.Kind = KindClientRejected
	case e.Status >= 400:
		// No client grant for the audience, an unknown audience, the grant
		// not enabled: all settings of the tenant.
		e.Kind = KindMisconfigured
	default:
		e.Kind = KindUpstream
	}
}

// managementTokenLeeway is how long before its expiry a cached Management
// token is replaced (at most half its lifetime), so a call never starts
// with a token about to expire.
const managementTokenLeeway = 5 * time.Minute

// Management calls the few Management API endpoints the account routes
// need, with a client-credentials token it caches in memory until shortly
// before it expires. One caller at a time fetches a token; the others wait
// for it. It is safe for concurrent use and meant to be built once per
// process. Neither the token nor the credentials ever appear in its errors.
type Management struct {
	client   *Client
	creds    CredentialsSource
	audience string
	apiURL   string
	now      func() time.Time

	fetching chan struct{} // one slot: held by the caller fetching a token

	mu      sync.Mutex
	token   string
	renewAt time.Time
}

// NewManagement returns a Management API client for c's tenant, sharing
// c's HTTP client, with credentials from creds.
func NewManagement(c *Client, creds CredentialsSource) *Management {
	return &Management{
		client: c, creds: creds, audience: c.cfg.ManagementAudience(), apiURL: c.cfg.ManagementAudience(),
		now: time.Now, fetching: make(chan struct{}, 1),
	}
}

// User is what the account routes read of a user.
type User struct {
	ID            string `json:"user_id"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
}

// Job is a Management API job: queued, not done.
type Job struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	Status    string `json:"status"`
	CreatedAt string `json:"created_at"`
}

var errNoUserID = errors.New("auth0: a user id is required")

// userFields keeps the answer to what User reads: less personal data in
// memory, and a smaller answer.
const userFields = "?fields=user_id%2Cemail%2Cemail_verified&include_fields=true"

// GetUser reads a user by id ("auth0|..."); an unknown user is KindNotFound.
func (m *Management) GetUser(ctx context.Context, id string) (User, error) {
	if id == "" {
		return User{}, errNoUserID // "users/" would list every user
	}
	var u User
	err := m.call(ctx, http.MethodGet, "users/"+url.PathEscape(id)+userFields, nil, func(status int, data []byte) error {
		if status != http.StatusOK || json.Unmarshal(data, &u) != nil || u.ID == "" {
			return &Error{Kind: KindUpstream, Status: status, Description: "unreadable user answer", management: true}
		}
		return nil
	})
	return u, err
}

// DeleteUser deletes a user by id. Auth0 answers 204 again for a user
// already deleted, so a retry is safe.
func (m *Management) DeleteUser(ctx context.Context, id string) error {
	if id == "" {
		return errNoUserID
	}
	return m.call(ctx, http.MethodDelete, "users/"+url.PathEscape(id), nil, func(int, []byte) error { return nil })
}

// SendVerificationEmail asks Auth0 to send the user a new verification
// email, linked to the application of the Client. Auth0 queues a job and
// answers at once: the email is not sent yet, and may never be (the
// email template disabled, no email provider).
func (m *Management) SendVerificationEmail(ctx context.Context, userID string) (Job, error) {
	if userID == "" {
		return Job{}, errNoUserID
	}
	body, err := json.Marshal(struct {
		UserID   string `json:"user_id"`
		ClientID string `json:"client_id,omitempty"`
	}{userID, m.client.cfg.ClientID})
	if err != nil {
		return Job{}, err
	}
	var j Job
	err = m.call(ctx, http.MethodPost, "jobs/verification-email", body, func(status int, data []byte) error {
		if json.Unmarshal(data, &j) != nil || j.ID == "" {
			return &Error{Kind: KindUpstream, Status: status, Description: "unreadable job answer", management: true}
		}
		return nil
	})
	return j, err
}

// call sends one Management API request with the cached token. A 401 means
// the token is no longer good (revoked, or the grant changed): a new one is
// fetched and the request sent again, once.
func (m *Management) call(ctx context.Context, method, path string, body []byte, read func(status int, data []byte) error) error {
	token, err := m.accessToken(ctx, "")
	if err != nil {
		return err
	}
	err = m.send(ctx, token, method, path, body, read)
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusUnauthorized {
		if token, err = m.accessToken(ctx, token); err != nil {
			return err
		}
		err = m.send(ctx, token, method, path, body, read)
	}
	return err
}

func (m *Management) send(ctx context.Context, token, method, path string, body []byte, read func(int, []byte) error) error {
	var rd io.Reader // nil, not a nil *bytes.Reader, for no body
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, m.apiURL+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return m.client.do(ctx, req, func(status int, header http.Header, data []byte) error {
		if status < 200 || status > 299 {
			return parseManagementError(status, header, data)
		}
		return read(status, data)
	})
}

// accessToken returns the cached token, or fetches one. stale is a token
// the API has just refused: it is not returned again, though a newer one
// another caller fetched meanwhile is.
func (m *Management) accessToken(ctx context.Context, stale string) (string, error) {
	if token, ok := m.cached(stale); ok {
		return token, nil
	}
	select {
	case m.fetching <- struct{}{}:
	case <-ctx.Done():
		return "", transportError(ctx, ctx.Err())
	}
	defer func() { <-m.fetching }()
	if token, ok := m.cached(stale); ok {
		return token, nil // fetched while we waited
	}
	creds, err := m.creds.Get(ctx)
	if err != nil {
		return "", err
	}
	tok, err := m.client.ClientCredentials(ctx, creds, m.audience)
	var e *Error
	if errors.As(err, &e) && e.Kind == KindClientRejected {
		// The credentials may have been rotated since they were read.
		fresh, rerr := m.creds.Refresh(ctx)
		switch {
		case rerr != nil:
			return "", rerr
		case fresh != creds:
			tok, err = m.client.ClientCredentials(ctx, fresh, m.audience)
		}
	}
	if errors.As(err, &e) {
		e.management = true
	}
	if err != nil {
		return "", err
	}
	ttl := time.Duration(tok.ExpiresIn) * time.Second
	m.mu.Lock()
	m.token, m.renewAt = tok.AccessToken, m.now().Add(ttl-min(managementTokenLeeway, ttl/2))
	m.mu.Unlock()
	return tok.AccessToken, nil
}

func (m *Management) cached(stale string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.token == "" || m.token == stale || !m.now().Before(m.renewAt) {
		return "", false
	}
	return m.token, true
}

// managementWireError is the Management API's error shape.
type managementWireError struct {
	Message   string `json:"message"`
	ErrorCode string `json:"errorCode"`
}

func parseManagementError(status int, header http.Header, data []byte) *Error {
	e := &Error{Status: status, management: true}
	var w managementWireError
	if err := json.Unmarshal(data, &w); err == nil {
		// Bounded by do, once the request's values are out (Error.redact).
		e.Code, e.Description = w.ErrorCode, w.Message
	} else if status < 500 && status != http.StatusTooManyRequests {
		e.Kind, e.Description = KindUpstream, "unreadable error body"
		return e
	}
	switch {
	case status == http.StatusTooManyRequests:
		e.Kind, e.RetryAfter = KindRateLimited, retryAfter(header, time.Now())
	case status >= 500:
		e.Kind = KindUpstream
	case status == http.StatusNotFound:
		e.Kind = KindNotFound
	case status == http.StatusUnauthorized:
		// Even a fresh token was refused.
		e.Kind = KindClientRejected
	case status == http.StatusForbidden:
		e.Kind = KindMisconfigured // insufficient_scope, most likely
	default:
		e.Kind = KindUpstream
	}
	return e
}

// managementHint is Hint for the Management API and its token.
func managementHint(e *Error) string {
	const app = "the machine-to-machine application whose credentials are in the secret named by AUTH0_MANAGEMENT_SECRET_ARN"
	desc := strings.ToLower(e.Description)
	switch {
	case e.Code == "insufficient_scope":
		return "grant " + app + " the scope Auth0 names (" + e.Description + "): Applications > APIs > Auth0 Management API > Machine To Machine Applications"
	case strings.Contains(desc, "client-grant") || strings.Contains(desc, "not authorized to access"):
		return "authorize " + app + " for the Auth0 Management API, with read:users, delete:users and update:users"
	case e.Kind == KindClientRejected && e.Status == http.StatusUnauthorized && e.Code != "invalid_client" && e.Code != "access_denied":
		return "the Management API refused a new token: check that AUTH0_TOKEN_ISSUER is the domain the Management API is called on"
	case e.Kind == KindClientRejected:
		return "Auth0 rejected the client id or secret of " + app
	case strings.HasPrefix(desc, "service not enabled") || strings.HasPrefix(desc, "service not found"):
		return "check AUTH0_TOKEN_ISSUER: the Management API audience is <issuer>/api/v2/"
	case e.Code == "unauthorized_client":
		return "enable the Client Credentials grant of " + app
	}
	return "check " + app + " and its grant on the Auth0 Management API"
}
