package auth0test

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Refresh tokens come in families: the token a login issued and, with
// rotation, each token exchanged from it. Exchanging a token rotates it
// (the old one is marked used); exchanging a used one again is reuse and
// revokes the whole family, as Auth0's reuse detection does.

const (
	// maxFamiliesPerUser is Auth0's limit of active refresh tokens per user
	// and application; a new one revokes the oldest.
	maxFamiliesPerUser = 200
	// maxTokensPerFamily bounds the used tokens a family remembers for
	// reuse detection; an older one is forgotten and answers as unknown,
	// with the same error but without revoking the family.
	maxTokensPerFamily = 32
	// maxRefreshTokens starts a sweep of revoked and expired families.
	maxRefreshTokens = 50000
)

const (
	descBadRefreshToken  = "Unknown or invalid refresh token."
	descDeletedUserToken = "The refresh_token was generated for a user who doesn't exist anymore."
)

type rtFamily struct {
	userID   string // _id, without "auth0|"
	audience string
	scopes   []string // granted at login; a refresh may ask for fewer
	gty      []string // of the login: "password" or none for codes
	amr      []string
	expires  time.Time // absolute: rotation does not extend it
	revoked  bool
	tokens   []string // this family's tokens in the store, oldest first
}

type rtEntry struct {
	fam       *rtFamily
	rotatedAt time.Time // zero while the token is live
	successor string    // the token it rotated into
}

type refreshStore struct {
	tokens map[string]*rtEntry
	byUser map[string][]*rtFamily // oldest first, revoked ones until swept
}

func newRefreshStore() refreshStore {
	return refreshStore{tokens: map[string]*rtEntry{}, byUser: map[string][]*rtFamily{}}
}

// newRefreshFamily starts a family for a login and returns its token.
func (s *Server) newRefreshFamily(g grantOf) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.refresh
	if len(st.tokens) >= maxRefreshTokens {
		s.sweepRefreshLocked()
	}
	now := s.now()
	live := st.byUser[g.user.id][:0:0]
	for _, f := range st.byUser[g.user.id] {
		if !f.revoked && now.Before(f.expires) {
			live = append(live, f)
		} else {
			st.drop(f)
		}
	}
	if len(live) >= maxFamiliesPerUser {
		st.drop(live[0])
		live = live[1:]
	}
	fam := &rtFamily{
		userID: g.user.id, audience: g.audience, scopes: g.scopes, gty: g.gty, amr: g.amr,
		expires: now.Add(s.cfg.RefreshTokenLifetime),
	}
	st.byUser[g.user.id] = append(live, fam)
	return st.mint(fam)
}

// mint adds a live token to fam.
func (st *refreshStore) mint(fam *rtFamily) string {
	t := opaqueToken("v1.")
	st.tokens[t] = &rtEntry{fam: fam}
	fam.tokens = append(fam.tokens, t)
	if len(fam.tokens) > maxTokensPerFamily {
		delete(st.tokens, fam.tokens[0])
		fam.tokens = slices.Delete(fam.tokens, 0, 1)
	}
	return t
}

// drop revokes fam and forgets its tokens: they answer as unknown.
func (st *refreshStore) drop(fam *rtFamily) {
	fam.revoked = true
	for _, t := range fam.tokens {
		delete(st.tokens, t)
	}
	fam.tokens = nil
}

func (s *Server) sweepRefreshLocked() {
	now := s.now()
	st := &s.refresh
	for id, fams := range st.byUser {
		keep := fams[:0]
		for _, f := range fams {
			if f.revoked || !now.Before(f.expires) {
				st.drop(f)
			} else {
				keep = append(keep, f)
			}
		}
		if len(keep) == 0 {
			delete(st.byUser, id)
		} else {
			st.byUser[id] = keep
		}
	}
}

// refreshGrant answers grant_type=refresh_token. A scope asks for a subset
// of the login's: scopes outside it are dropped silently and offline_access
// stays (as in go-auth0's recording TestRefreshToken/
// Should_return_tokens_with_reduced_scopes).
func (s *Server) refreshGrant(p params) reply {
	token := p.get("refresh_token")
	if token == "" {
		return oauthErr(http.StatusBadRequest, "invalid_request", "Missing required parameter: refresh_token")
	}
	s.mu.Lock()
	var g grantOf
	var next string
	e, refused := s.liveTokenLocked(token)
	if refused == nil {
		// The user first, so that retries keep getting the same answer.
		fam := e.fam
		u := s.byID[fam.userID]
		switch {
		case u == nil:
			refused = &reply{status: http.StatusForbidden, body: oauthError{Error: "invalid_grant", ErrorDescription: descDeletedUserToken}}
		case s.blocked[u.email]:
			// Not catalogued for refresh: the login's answer.
			refused = &reply{status: http.StatusUnauthorized, body: oauthError{Error: "unauthorized", ErrorDescription: "user is blocked"}}
		default:
			next, refused = s.rotateLocked(e)
			g = grantOf{user: *u, audience: fam.audience, amr: fam.amr,
				scopes: reduceScopes(fam.scopes, p.get("scope")),
				// Seen in a third-party sample of a refreshed Auth0 token.
				gty: append([]string{"refresh_token"}, fam.gty...)}
		}
	}
	s.mu.Unlock()
	if refused != nil {
		return *refused
	}
	ans := s.userTokens(g)
	ans.RefreshToken = next
	return tokenReply(ans)
}

// liveTokenLocked finds a refresh token whose family is valid.
func (s *Server) liveTokenLocked(token string) (*rtEntry, *reply) {
	e := s.refresh.tokens[token]
	if e == nil || e.fam.revoked || !s.now().Before(e.fam.expires) {
		return nil, invalidRefresh()
	}
	return e, nil
}

func invalidRefresh() *reply {
	return &reply{status: http.StatusForbidden, body: oauthError{Error: "invalid_grant", ErrorDescription: descBadRefreshToken}}
}

// rotateLocked exchanges a valid token: next is the new token, "" without
// rotation.
func (s *Server) rotateLocked(e *rtEntry) (next string, refused *reply) {
	st := &s.refresh
	now := s.now()
	switch {
	case s.cfg.NonRotatingRefreshTokens:
		return "", nil
	case e.rotatedAt.IsZero():
		e.rotatedAt = now
		e.successor = st.mint(e.fam)
		return e.successor, nil
	}
	// Reuse. Within the overlap period the token just rotated may be
	// exchanged again (Auth0 forks the family); anything else revokes the
	// family. Auth0's exact answer to reuse is not catalogued ("access
	// denied"); this is the answer to any invalid refresh token.
	if succ := st.tokens[e.successor]; succ != nil && succ.rotatedAt.IsZero() &&
		s.cfg.RotationLeeway > 0 && now.Sub(e.rotatedAt) <= s.cfg.RotationLeeway {
		return st.mint(e.fam), nil
	}
	st.drop(e.fam)
	return "", invalidRefresh()
}

func reduceScopes(granted []string, asked string) []string {
	if strings.TrimSpace(asked) == "" {
		return granted
	}
	want := strings.Fields(asked)
	var out []string
	for _, sc := range granted {
		if sc == "offline_access" || slices.Contains(want, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// revoke answers POST /oauth/revoke: 200 with an empty body whether or not
// the token was known (RFC 7009 2.2 and go-auth0's recording), revoking
// the token's family: the token and those rotated from or into it. With
// Config.RevocationDeletesGrant, every family of the user for this
// application and API.
func (s *Server) revoke(p params) reply {
	if s.authClient(p.get("client_id"), p.get("client_secret")) == noClient {
		// Not catalogued beyond the code (older docs): 401 invalid_client.
		return oauthErr(http.StatusUnauthorized, "invalid_client", "Client authentication failed.")
	}
	token := p.get("token")
	if token == "" {
		return oauthErr(http.StatusBadRequest, "invalid_request", "Missing required parameter: token")
	}
	s.mu.Lock()
	st := &s.refresh
	if e := st.tokens[token]; e != nil && p.get("client_id") == s.cfg.ClientID {
		fam := e.fam
		if s.cfg.RevocationDeletesGrant {
			for _, f := range st.byUser[fam.userID] {
				if f.audience == fam.audience {
					st.drop(f)
				}
			}
		}
		st.drop(fam)
	}
	s.mu.Unlock()
	return reply{status: http.StatusOK, body: rawBody{contentType: "application/json"}}
}

// RefreshTokens counts the user's live refresh-token families: one per
// login with offline_access, until revoked, reused or expired.
func (s *Server) RefreshTokens(email string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[lower(email)]
	if u == nil {
		return 0
	}
	n := 0
	now := s.now()
	for _, f := range s.refresh.byUser[u.id] {
		if !f.revoked && now.Before(f.expires) {
			n++
		}
	}
	return n
}
