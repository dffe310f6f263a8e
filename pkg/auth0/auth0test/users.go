package auth0test

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"time"
)

type user struct {
	id       string // Auth0's _id, without "auth0|"
	email    string // lower case
	password string
}

// AddUser creates a user in the connection, skipping the password policy so
// tests can seed any password. For an existing email it sets the password
// and keeps the id. It returns the user's "sub", "auth0|<_id>".
func (s *Server) AddUser(email, password string) (userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[lower(email)]; ok {
		u.password = password
		return "auth0|" + u.id
	}
	return "auth0|" + s.createLocked(email, password).id
}

func (s *Server) createLocked(email, password string) *user {
	u := &user{id: newObjectID(), email: lower(email), password: password}
	s.users[u.email] = u
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

// BlockUser makes logins of this email answer 401 "user is blocked" once the
// password is right, as for a user an admin blocked. It may be called before
// the user exists.
func (s *Server) BlockUser(email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked[lower(email)] = true
}

// RequireMFA makes logins of this email answer 403 mfa_required once the
// password is right. It may be called before the user exists.
func (s *Server) RequireMFA(email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mfa[lower(email)] = true
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
func newObjectID() string {
	var b [12]byte
	binary.BigEndian.PutUint32(b[:4], uint32(time.Now().Unix()))
	rand.Read(b[4:])
	return hex.EncodeToString(b[:])
}
