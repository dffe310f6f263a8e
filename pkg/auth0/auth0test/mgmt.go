package auth0test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// The client_credentials grant and the few Management API endpoints an
// account service needs: get and delete a user, send a verification email.

const mgmtPrefix = "/api/v2/"

// isoMillis is how the Management API writes times.
const isoMillis = "2006-01-02T15:04:05.000Z"

// mgmtError is the Management API's error shape (go-auth0-v1 recording
// TestUserManager_Delete).
type mgmtError struct {
	StatusCode int        `json:"statusCode"`
	Error      string     `json:"error"`
	Message    string     `json:"message"`
	ErrorCode  string     `json:"errorCode,omitempty"`
	Attributes *mgmtAttrs `json:"attributes,omitempty"`
}

type mgmtAttrs struct {
	Error string `json:"error"`
}

func mgmtErr(status int, message, code string) reply {
	return reply{status: status, body: mgmtError{StatusCode: status, Error: http.StatusText(status), Message: message, ErrorCode: code}}
}

// unauthorized is a 401 for a bad token, as seen from the real service:
// the message repeated under attributes.
func unauthorized(message string) reply {
	return reply{status: http.StatusUnauthorized, body: mgmtError{StatusCode: http.StatusUnauthorized,
		Error: "Unauthorized", Message: message, Attributes: &mgmtAttrs{Error: message}}}
}

// clientCredentials answers grant_type=client_credentials for the M2M
// application: tokens for the Management API with its granted scopes, and
// for Config.Audience with none (a client grant without permissions).
func (s *Server) clientCredentials(p params) reply {
	aud := p.get("audience")
	if aud == "" {
		aud = s.cfg.Audience // the tenant's Default Audience
	}
	var granted []string
	switch aud {
	case s.ManagementAudience():
		granted = s.cfg.M2M.Scopes
		if len(granted) == 0 {
			return oauthErr(http.StatusForbidden, "access_denied", fmt.Sprintf(
				"Client is not authorized to access %q. You might probably want to create a \"client-grant\" "+
					"associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants", aud))
		}
	case s.cfg.Audience:
	default:
		// Third-party reports; not recorded.
		return oauthErr(http.StatusForbidden, "access_denied", "Service not enabled within domain: "+aud)
	}
	scopes := granted
	if asked := strings.Fields(p.get("scope")); len(asked) > 0 {
		var missing []string
		scopes = nil
		for _, sc := range asked {
			switch {
			case !slices.Contains(granted, sc):
				missing = append(missing, sc)
			case !slices.Contains(scopes, sc):
				scopes = append(scopes, sc)
			}
		}
		if len(missing) > 0 {
			return oauthErr(http.StatusForbidden, "access_denied", "Client has not been granted scopes: "+strings.Join(missing, " "))
		}
	}
	now := s.now().Unix()
	ttl := int64(s.cfg.TokenTTL.Seconds())
	id := s.cfg.M2M.ID
	claims := map[string]any{
		"iss": s.Issuer(), "sub": id + "@clients", "aud": aud, "iat": now, "exp": now + ttl,
		"azp": id, "gty": "client-credentials",
	}
	scope := strings.Join(scopes, " ")
	if scope != "" {
		claims["scope"] = scope
	}
	return tokenReply(tokenAnswer{AccessToken: s.SignToken(nil, claims), Scope: scope, ExpiresIn: ttl, TokenType: "Bearer"})
}

// management answers /api/v2/*: authentication, then the route, then the
// scope, under Config.ManagementRateLimit.
func (s *Server) management(r *http.Request, p params) reply {
	// The body is not catalogued (one third-party quote: "Global limit has
	// been reached"); the headers are.
	over := mgmtErr(http.StatusTooManyRequests, "Global limit has been reached", "too_many_requests")
	return s.rateLimit(mgmtPrefix, s.cfg.ManagementRateLimit, over, func() reply {
		scopes, refused := s.managementToken(r.Header.Get("Authorization"))
		if refused != nil {
			return *refused
		}
		path := strings.TrimPrefix(r.URL.Path, mgmtPrefix)
		need := func(scope string, next func() reply) reply {
			if !slices.Contains(scopes, scope) {
				return mgmtErr(http.StatusForbidden, "Insufficient scope, expected any of: "+scope, "insufficient_scope")
			}
			return next()
		}
		if id, ok := strings.CutPrefix(path, "users/"); ok && id != "" && !strings.Contains(id, "/") {
			switch r.Method {
			case http.MethodGet:
				return need("read:users", func() reply { return s.getUser(id) })
			case http.MethodDelete:
				return need("delete:users", func() reply { return s.deleteUser(id) })
			}
		}
		if path == "jobs/verification-email" && r.Method == http.MethodPost {
			return need("update:users", func() reply { return s.verificationEmail(p) })
		}
		return mgmtErr(http.StatusNotFound, "Not Found", "") // not catalogued
	})
}

// managementToken checks a Management API bearer token: signed by this
// tenant, for <URL>/api/v2/, unexpired. It returns the token's scopes.
func (s *Server) managementToken(header string) ([]string, *reply) {
	token, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || token == "" {
		// Not catalogued.
		r := mgmtErr(http.StatusUnauthorized, "Missing authentication", "")
		return nil, &r
	}
	claims, ok := s.verifyJWT(token)
	if !ok || claims.Iss != s.Issuer() {
		r := unauthorized("Invalid token")
		return nil, &r
	}
	if !slices.Contains(claims.Aud, s.ManagementAudience()) {
		// Not catalogued.
		r := unauthorized("Bad audience: " + strings.Join(claims.Aud, " "))
		return nil, &r
	}
	if s.now().Unix() >= claims.Exp {
		// As the real service answers (quoted in public posts).
		r := unauthorized("Expired token received for JSON Web Token validation")
		return nil, &r
	}
	return strings.Fields(claims.Scope), nil
}

type jwtClaims struct {
	Iss   string
	Aud   []string
	Exp   int64
	Scope string
}

// verifyJWT checks an RS256 signature by the current or previous key.
func (s *Server) verifyJWT(token string) (jwtClaims, bool) {
	var c jwtClaims
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c, false
	}
	var h struct{ Alg, Kid string }
	var raw struct {
		Iss   string          `json:"iss"`
		Aud   json.RawMessage `json:"aud"`
		Exp   int64           `json:"exp"`
		Scope string          `json:"scope"`
	}
	hj, err1 := b64.DecodeString(parts[0])
	cj, err2 := b64.DecodeString(parts[1])
	sig, err3 := b64.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hj, &h) != nil || json.Unmarshal(cj, &raw) != nil || h.Alg != "RS256" {
		return c, false
	}
	s.mu.Lock()
	var key *rsa.PublicKey
	for _, k := range []*signingKey{s.key, s.prevKey} {
		if k != nil && k.kid == h.Kid {
			key = &k.priv.PublicKey
		}
	}
	s.mu.Unlock()
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if key == nil || rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig) != nil {
		return c, false
	}
	var one string
	if json.Unmarshal(raw.Aud, &one) == nil {
		c.Aud = []string{one}
	} else if json.Unmarshal(raw.Aud, &c.Aud) != nil {
		return c, false
	}
	c.Iss, c.Exp, c.Scope = raw.Iss, raw.Exp, raw.Scope
	return c, true
}

type identity struct {
	Connection string `json:"connection"`
	UserID     string `json:"user_id"`
	Provider   string `json:"provider"`
	IsSocial   bool   `json:"isSocial"`
}

// mgmtUser is the user object of GET /api/v2/users/{id}, the fields a
// database-connection user has (no picture: it would point off-machine).
type mgmtUser struct {
	CreatedAt     string     `json:"created_at"`
	Email         string     `json:"email"`
	EmailVerified bool       `json:"email_verified"`
	Identities    []identity `json:"identities"`
	Name          string     `json:"name"`
	Nickname      string     `json:"nickname"`
	UpdatedAt     string     `json:"updated_at"`
	UserID        string     `json:"user_id"`
	Blocked       bool       `json:"blocked,omitempty"`
	Multifactor   []string   `json:"multifactor,omitempty"`
	LastLogin     string     `json:"last_login,omitempty"`
	LoginsCount   int        `json:"logins_count,omitempty"`
}

// inexistentUser is the recorded 404 (go-auth0-v1 TestUserManager_Delete).
func inexistentUser() reply {
	return mgmtErr(http.StatusNotFound, "The user does not exist.", "inexistent_user")
}

// lookupLocked finds a user by "auth0|<_id>".
func (s *Server) lookupLocked(userID string) *user {
	id, ok := strings.CutPrefix(userID, "auth0|")
	if !ok {
		return nil
	}
	return s.byID[id]
}

func (s *Server) getUser(userID string) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookupLocked(userID)
	if u == nil {
		return inexistentUser()
	}
	mu := mgmtUser{
		CreatedAt: u.created.UTC().Format(isoMillis), UpdatedAt: u.updated.UTC().Format(isoMillis),
		Email: u.email, EmailVerified: u.emailVerified, Name: u.email, Nickname: strings.SplitN(u.email, "@", 2)[0],
		UserID:     "auth0|" + u.id,
		Identities: []identity{{Connection: s.cfg.Connection, UserID: u.id, Provider: "auth0"}},
		Blocked:    s.blocked[u.email], LoginsCount: u.logins,
	}
	if !u.lastLogin.IsZero() {
		mu.LastLogin = u.lastLogin.UTC().Format(isoMillis)
	}
	if len(u.activeFactors()) > 0 {
		mu.Multifactor = []string{"guardian"}
	}
	return reply{status: http.StatusOK, body: mu}
}

// deleteUser answers 204 whether or not the user existed: a repeated
// delete is recorded as 204; whether a never-existing id answers 404 is
// not, and 204 keeps retries safe.
func (s *Server) deleteUser(userID string) reply {
	s.mu.Lock()
	if u := s.lookupLocked(userID); u != nil {
		s.deleteLocked(u)
	}
	s.mu.Unlock()
	return reply{status: http.StatusNoContent, body: rawBody{}}
}

type job struct {
	Type      string `json:"type"`
	Status    string `json:"status"`
	CreatedAt string `json:"created_at"`
	ID        string `json:"id"`
}

// verificationEmail answers POST /api/v2/jobs/verification-email: 201 and
// a pending job (recorded), and the email goes out. Auth0 sends it even to
// a verified user.
func (s *Server) verificationEmail(p params) reply {
	userID := p.get("user_id")
	if userID == "" {
		// Auth0's payload-validation message shape; not catalogued here.
		return mgmtErr(http.StatusBadRequest, "Payload validation error: 'Missing required property: user_id'.", "invalid_body")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookupLocked(userID)
	if u == nil {
		return inexistentUser() // not catalogued for this endpoint
	}
	now := s.now()
	u.verifyTicket, u.verifyExpires = opaqueToken(""), now.Add(ticketTTL)
	s.sendLocked(Message{Kind: MessageVerifyEmail, To: u.email, Ticket: u.verifyTicket,
		Link: s.URL + "/u/email-verification?ticket=" + u.verifyTicket + "#"})
	return reply{status: http.StatusCreated, body: job{
		Type: "verification_email", Status: "pending", CreatedAt: now.UTC().Format(isoMillis), ID: "job_" + randomAlnum(16),
	}}
}
