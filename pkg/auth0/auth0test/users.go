package auth0test

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"time"
)

type user struct {
	id            string // Auth0's _id, without "auth0|"
	email         string // lower case
	password      string
	emailVerified bool
	created       time.Time
	updated       time.Time
	lastLogin     time.Time
	logins        int
	resetTicket   string // the one valid password-reset ticket; see ResetPassword
	resetExpires  time.Time
	verifyTicket  string // the one valid email-verification ticket
	verifyExpires time.Time

	// MFA: enrolled (and pending) authenticators, the recovery code, and
	// the bucket of failed MFA attempts.
	authenticators []*authenticator
	recoveryCode   *authenticator
	mfaBucket      bucket
}

// AddUser creates a user in the connection, skipping the password policy so
// tests can seed any password. For an existing email it sets the password
// and keeps the id. It returns the user's "sub", "auth0|<_id>".
func (s *Server) AddUser(email, password string) (userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[lower(email)]; ok {
		u.password = password
		u.updated = s.now()
		return "auth0|" + u.id
	}
	return "auth0|" + s.createLocked(email, password).id
}

func (s *Server) createLocked(email, password string) *user {
	now := s.now()
	u := &user{id: newObjectID(now), email: lower(email), password: password, created: now, updated: now}
	s.users[u.email] = u
	s.byID[u.id] = u
	return u
}

// UserID returns the "sub" of the user with this email (any case).
func (s *Server) UserID(email string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[lower(email)]
	if !ok {
		return "", false
	}
	return "auth0|" + u.id, true
}

// DeleteUser removes a user, as DELETE /api/v2/users/{id} does: logins
// then fail as for an unknown user, and the user's refresh tokens answer
// "The refresh_token was generated for a user who doesn't exist anymore.".
// It reports whether the user existed.
func (s *Server) DeleteUser(email string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[lower(email)]
	if ok {
		s.deleteLocked(u)
	}
	return ok
}

func (s *Server) deleteLocked(u *user) {
	delete(s.users, u.email)
	delete(s.byID, u.id)
}

// SetEmailVerified sets the user's email_verified (false at signup). It
// reports whether the user exists.
func (s *Server) SetEmailVerified(email string, verified bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[lower(email)]
	if ok {
		u.emailVerified = verified
		u.updated = s.now()
	}
	return ok
}

// BlockUser makes logins of this email answer 401 "user is blocked" once the
// password is right, as for a user an admin blocked. It may be called before
// the user exists.
func (s *Server) BlockUser(email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked[lower(email)] = true
}

// RequireMFA is SetMFA(email, true).
func (s *Server) RequireMFA(email string) { s.SetMFA(email, true) }

// SetMFA overrides Config.MFARequired for one email: with required, its
// correct password logins answer 403 mfa_required; without, they get
// tokens whatever the tenant policy. It may be called before the user
// exists.
func (s *Server) SetMFA(email string, required bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mfa[lower(email)] = required
}

func (s *Server) mfaRequiredLocked(email string) bool {
	if v, ok := s.mfa[email]; ok {
		return v
	}
	return s.cfg.MFARequired
}

// LeakPassword marks a password as breached: signup with it answers 400
// password_leaked, and a correct login with it 401 password_leaked. Auth0's
// documented test passwords (Paaf213XXYYZZ, AUTH0-TEST-*) are always leaked.
func (s *Server) LeakPassword(password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.leaked[password] = true
}

// SetClientSecret rotates the application's secret: the old one is rejected
// from now on with 401 access_denied.
func (s *Server) SetClientSecret(secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secret = secret
}

// newObjectID makes an _id shaped like Auth0's (a MongoDB ObjectId: 4 bytes
// of Unix time then 8 random bytes, 24 hex digits).
func newObjectID(now time.Time) string {
	var b [12]byte
	binary.BigEndian.PutUint32(b[:4], uint32(now.Unix()))
	rand.Read(b[4:])
	return hex.EncodeToString(b[:])
}
