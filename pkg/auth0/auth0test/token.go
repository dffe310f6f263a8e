package auth0test

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
)

const (
	passwordRealmGrant = "http://auth0.com/oauth/grant-type/password-realm"
	mfaOTPGrant        = "http://auth0.com/oauth/grant-type/mfa-otp"
	mfaOOBGrant        = "http://auth0.com/oauth/grant-type/mfa-oob"
	mfaRecoveryGrant   = "http://auth0.com/oauth/grant-type/mfa-recovery-code"
)

// idTokenTTL is Auth0's default ID token lifetime (10 hours).
const idTokenTTL = 36000

type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
	ExpiresIn    int64  `json:"expires_in"`
	TokenType    string `json:"token_type"`
	// RecoveryCode replaces the one a mfa-recovery-code grant used up.
	RecoveryCode string `json:"recovery_code,omitempty"`
}

// attempt keys brute-force protection: one identifier from one IP.
type attempt struct{ username, ip string }

// client is the application a request authenticated as.
type client int

const (
	noClient  client = iota
	appClient        // Config.ClientID: the regular web app
	m2mClient        // Config.M2M
)

// token answers POST /oauth/token. The order of checks follows Auth0's:
// request, client authentication, grant, then the grant's own checks.
func (s *Server) token(r *http.Request, p params) reply {
	grant := p.get("grant_type")
	if grant == "" {
		// Not catalogued: Auth0's usual text for a missing parameter.
		return oauthErr(http.StatusBadRequest, "invalid_request", "Missing required parameter: grant_type")
	}
	switch s.authClient(p.get("client_id"), p.get("client_secret")) {
	case noClient:
		return oauthErr(http.StatusUnauthorized, "access_denied", "Unauthorized")
	case m2mClient:
		if grant == "client_credentials" {
			return s.clientCredentials(p)
		}
	default:
		switch grant {
		case passwordRealmGrant, "password":
			return s.passwordGrant(r, p, grant)
		case "refresh_token":
			return s.refreshGrant(p)
		case "authorization_code":
			return s.codeGrant(p)
		case mfaOTPGrant, mfaOOBGrant, mfaRecoveryGrant:
			return s.mfaGrant(p, grant)
		}
	}
	return oauthErr(http.StatusForbidden, "unauthorized_client",
		fmt.Sprintf("Grant type '%s' not allowed for the client.", grant))
}

// authClient tells which application the credentials belong to. Both are
// confidential: a secret is always required.
func (s *Server) authClient(id, secret string) client {
	s.mu.Lock()
	appSecret := s.secret
	s.mu.Unlock()
	same := func(a, b string) bool { return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
	switch {
	case id == s.cfg.ClientID && same(secret, appSecret):
		return appClient
	case id == s.cfg.M2M.ID && same(secret, s.cfg.M2M.Secret):
		return m2mClient
	}
	return noClient
}

// passwordGrant answers the password and password-realm grants.
func (s *Server) passwordGrant(r *http.Request, p params, grant string) reply {
	realm := p.get("realm")
	switch {
	case grant == passwordRealmGrant && realm == "":
		return oauthErr(http.StatusBadRequest, "invalid_request", "Missing required parameter: realm")
	case realm == "":
		// The tenant has no Default Directory; a realm, if sent, is honoured.
		return oauthErr(http.StatusInternalServerError, "server_error", descNoDefaultConnection)
	case realm != s.cfg.Connection:
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
	g := grantOf{scopes: s.grantedScopes(p.get("scope")), audience: audience, gty: []string{"password"}}
	u, refused := s.login(username, password, endUserIP(r), g)
	if refused != nil {
		return *refused
	}
	g.user = u
	return s.issue(g, true)
}

// grantedScopes is what a user login grants of the requested scope: every
// scope (the API defines them all), deduplicated in request order, less
// offline_access when the API does not allow it.
func (s *Server) grantedScopes(scope string) []string {
	var out []string
	for _, sc := range strings.Fields(scope) {
		if !slices.Contains(out, sc) && !(sc == "offline_access" && s.cfg.DenyOfflineAccess) {
			out = append(out, sc)
		}
	}
	return out
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
// count failures too, so lockouts reveal nothing about who exists. When
// MFA applies, the refusal carries an mfa_token sealing g.
func (s *Server) login(username, password, ip string, g grantOf) (user, *reply) {
	refuse := func(status int, code, desc string) (user, *reply) {
		rep := oauthErr(status, code, desc)
		return user{}, &rep
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	name := lower(username)
	key := attempt{name, ip}
	limit := s.cfg.MaxFailedLogins
	if c := s.failures[key]; limit > 0 && c != nil && c.n >= limit {
		// Blocked until the counters evict it (bounded.go) or the user
		// resets the password: there is no unblock email here.
		return refuse(http.StatusTooManyRequests, "too_many_attempts", descTooManyAttempts)
	}
	u := s.users[name]
	if u == nil || subtle.ConstantTimeCompare([]byte(u.password), []byte(password)) != 1 {
		if limit > 0 {
			s.failLocked(key, limit)
		}
		return refuse(http.StatusForbidden, "invalid_grant", descWrongCredentials)
	}
	delete(s.failures, key)
	switch {
	case s.blocked[name]:
		return refuse(http.StatusUnauthorized, "unauthorized", "user is blocked")
	case s.isLeakedLocked(password):
		return refuse(http.StatusUnauthorized, "password_leaked", descPasswordLeaked)
	case s.mfaRequiredLocked(name):
		g.user = *u
		return user{}, &reply{status: http.StatusForbidden, body: oauthError{
			Error: "mfa_required", ErrorDescription: "Multifactor authentication required",
			MFAToken: s.newMFAToken(g), MFARequirements: &mfaRequirements{Challenge: []mfaChallenge{{Type: "otp"}}},
		}}
	}
	return *u, nil
}

// grantOf is what a successful grant hands out tokens for.
type grantOf struct {
	user     user // a copy; zero for client credentials
	scopes   []string
	audience string
	gty      []string // the "gty" claim: one value is a string, more an array, none omitted
	amr      []string // the ID token's "amr", ["mfa"] after MFA
}

// issue builds the answer to a login (password, code, MFA): an access
// token, an ID token with openid, and with offline_access (newRefresh) a
// refresh token starting a new family. The login is counted.
func (s *Server) issue(g grantOf, newRefresh bool) reply {
	ans := s.userTokens(g)
	s.mu.Lock()
	if live := s.byID[g.user.id]; live != nil {
		live.logins++
		live.lastLogin = s.now()
	}
	s.mu.Unlock()
	if newRefresh && slices.Contains(g.scopes, "offline_access") {
		ans.RefreshToken = s.newRefreshFamily(g)
	}
	return tokenReply(ans)
}

// tokenReply is a 200 token answer. RFC 6749 5.1: token answers must not
// be cached.
func tokenReply(ans tokenAnswer) reply {
	return reply{status: http.StatusOK, body: ans, header: http.Header{
		"Cache-Control": {"no-store"}, "Pragma": {"no-cache"},
	}}
}

// userTokens signs the access and ID tokens of a user grant.
func (s *Server) userTokens(g grantOf) tokenAnswer {
	u := g.user
	scope := strings.Join(g.scopes, " ")
	now := s.now().Unix()
	ttl := int64(s.cfg.TokenTTL.Seconds())
	sub := "auth0|" + u.id
	openid := slices.Contains(g.scopes, "openid")

	claims := map[string]any{
		"iss": s.Issuer(), "sub": sub, "aud": g.audience, "iat": now, "exp": now + ttl,
		"azp": s.cfg.ClientID,
	}
	switch len(g.gty) {
	case 0:
	case 1:
		claims["gty"] = g.gty[0]
	default:
		claims["gty"] = g.gty
	}
	if openid {
		claims["aud"] = []string{g.audience, s.Issuer() + "userinfo"}
	}
	if scope != "" {
		claims["scope"] = scope
	}
	ans := tokenAnswer{AccessToken: s.SignToken(nil, claims), Scope: scope, ExpiresIn: ttl, TokenType: "Bearer"}
	if openid {
		id := map[string]any{"iss": s.Issuer(), "sub": sub, "aud": s.cfg.ClientID, "iat": now, "exp": now + idTokenTTL}
		if slices.Contains(g.scopes, "email") {
			id["email"], id["email_verified"] = u.email, u.emailVerified
		}
		if slices.Contains(g.scopes, "profile") {
			id["name"], id["nickname"] = u.email, strings.SplitN(u.email, "@", 2)[0]
		}
		if len(g.amr) > 0 {
			id["amr"] = g.amr
		}
		ans.IDToken = s.SignToken(nil, id)
	}
	return ans
}

// randomBytes reads n bytes from crypto/rand, which never fails.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// opaqueToken is a random string for refresh tokens, codes and tickets.
func opaqueToken(prefix string) string { return prefix + b64.EncodeToString(randomBytes(32)) }
