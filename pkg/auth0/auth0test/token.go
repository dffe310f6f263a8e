package auth0test

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
)

const passwordRealmGrant = "http://auth0.com/oauth/grant-type/password-realm"

// idTokenTTL is Auth0's default ID token lifetime (10 hours).
const idTokenTTL = 36000

type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
	ExpiresIn    int64  `json:"expires_in"`
	TokenType    string `json:"token_type"`
}

// attempt keys brute-force protection: one identifier from one IP.
type attempt struct{ username, ip string }

// token answers POST /oauth/token. The order of checks follows Auth0's:
// request, client authentication, grant, connection, API, then the user.
func (s *Server) token(r *http.Request, p params) reply {
	grant := p.get("grant_type")
	if grant == "" {
		// Not catalogued: Auth0's usual text for a missing parameter.
		return oauthErr(http.StatusBadRequest, "invalid_request", "Missing required parameter: grant_type")
	}
	if !s.clientAuthenticated(p.get("client_id"), p.get("client_secret")) {
		return oauthErr(http.StatusUnauthorized, "access_denied", "Unauthorized")
	}
	realm := p.get("realm")
	switch grant {
	case passwordRealmGrant:
		if realm == "" {
			return oauthErr(http.StatusBadRequest, "invalid_request", "Missing required parameter: realm")
		}
	case "password":
		// The tenant has no Default Directory; a realm, if sent, is honoured.
		if realm == "" {
			return oauthErr(http.StatusInternalServerError, "server_error", descNoDefaultConnection)
		}
	default:
		return oauthErr(http.StatusForbidden, "unauthorized_client",
			fmt.Sprintf("Grant type '%s' not allowed for the client.", grant))
	}
	if realm != s.cfg.Connection {
		// Not catalogued: the description for an unknown realm.
		return oauthErr(http.StatusBadRequest, "invalid_request", "connection not found")
	}
	audience := p.get("audience")
	if audience == "" {
		audience = s.cfg.Audience // as if it were the tenant's Default Audience
	}
	if audience != s.cfg.Audience {
		return oauthErr(http.StatusForbidden, "access_denied", "Service not found: "+audience)
	}
	username, password := p.get("username"), p.get("password")
	for _, f := range [...]struct{ name, value string }{{"username", username}, {"password", password}} {
		if f.value == "" {
			return oauthErr(http.StatusBadRequest, "invalid_request", "Missing required parameter: "+f.name)
		}
	}
	u, refused := s.login(username, password, endUserIP(r))
	if refused != nil {
		return *refused
	}
	return s.issue(u, p.get("scope"), audience)
}

func (s *Server) clientAuthenticated(id, secret string) bool {
	s.mu.Lock()
	current := s.secret
	s.mu.Unlock()
	return id == s.cfg.ClientID && secret != "" &&
		subtle.ConstantTimeCompare([]byte(secret), []byte(current)) == 1
}

// endUserIP is the address brute-force protection keys on. Auth0 trusts
// auth0-forwarded-for only from an application that authenticated with its
// secret; this server requires the secret, so by the time this runs the
// header is trusted when it holds an IP. Otherwise it is the TCP peer.
func endUserIP(r *http.Request) string {
	if ip := net.ParseIP(strings.TrimSpace(r.Header.Get("Auth0-Forwarded-For"))); ip != nil {
		return ip.String()
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// login checks the credentials under brute-force protection. Unknown users
// count failures too, so lockouts reveal nothing about who exists.
func (s *Server) login(username, password, ip string) (user, *reply) {
	refuse := func(status int, code, desc string) (user, *reply) {
		rep := oauthErr(status, code, desc)
		return user{}, &rep
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	name := lower(username)
	key := attempt{name, ip}
	limit := s.cfg.MaxFailedLogins
	if limit > 0 && s.failures[key] >= limit {
		// Blocked for the server's lifetime: there is no unblock email here.
		return refuse(http.StatusTooManyRequests, "too_many_attempts", descTooManyAttempts)
	}
	u := s.users[name]
	if u == nil || u.password != password {
		if limit > 0 {
			s.failures[key]++
		}
		return refuse(http.StatusForbidden, "invalid_grant", descWrongCredentials)
	}
	delete(s.failures, key)
	switch {
	case s.blocked[name]:
		return refuse(http.StatusUnauthorized, "unauthorized", "user is blocked")
	case s.isLeakedLocked(password):
		return refuse(http.StatusUnauthorized, "password_leaked", descPasswordLeaked)
	case s.mfa[name]:
		return user{}, &reply{status: http.StatusForbidden, body: oauthError{
			Error: "mfa_required", ErrorDescription: "Multifactor authentication required",
			MFAToken: opaqueToken(""), MFARequirements: &mfaRequirements{Challenge: []mfaChallenge{{Type: "otp"}}},
		}}
	}
	return *u, nil
}

// issue builds a successful answer. Every requested scope is granted (the
// API defines them all and allows offline access), in request order.
func (s *Server) issue(u user, scope, audience string) reply {
	var scopes []string
	for _, sc := range strings.Fields(scope) {
		if !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	scope = strings.Join(scopes, " ")
	now := time.Now().Unix()
	ttl := int64(s.cfg.TokenTTL / time.Second)
	sub := "auth0|" + u.id
	openid := slices.Contains(scopes, "openid")

	claims := map[string]any{
		"iss": s.Issuer(), "sub": sub, "aud": audience, "iat": now, "exp": now + ttl,
		"azp": s.cfg.ClientID, "gty": "password",
	}
	if openid {
		claims["aud"] = []string{audience, s.Issuer() + "userinfo"}
	}
	if scope != "" {
		claims["scope"] = scope
	}
	ans := tokenAnswer{AccessToken: s.SignToken(nil, claims), Scope: scope, ExpiresIn: ttl, TokenType: "Bearer"}
	if openid {
		id := map[string]any{"iss": s.Issuer(), "sub": sub, "aud": s.cfg.ClientID, "iat": now, "exp": now + idTokenTTL}
		if slices.Contains(scopes, "email") {
			id["email"], id["email_verified"] = u.email, false
		}
		if slices.Contains(scopes, "profile") {
			id["name"], id["nickname"] = u.email, strings.SplitN(u.email, "@", 2)[0]
		}
		ans.IDToken = s.SignToken(nil, id)
	}
	if slices.Contains(scopes, "offline_access") {
		ans.RefreshToken = opaqueToken("v1.")
	}
	// RFC 6749 5.1: token answers must not be cached.
	return reply{status: http.StatusOK, body: ans, header: http.Header{
		"Cache-Control": {"no-store"}, "Pragma": {"no-cache"},
	}}
}

// opaqueToken is a random string for refresh and MFA tokens.
func opaqueToken(prefix string) string {
	b := make([]byte, 32)
	rand.Read(b)
	return prefix + b64.EncodeToString(b)
}
