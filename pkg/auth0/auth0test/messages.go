package auth0test

import (
	"errors"
	"net/http"
	"time"
)

// Kinds of Message.
const (
	MessagePasswordReset = "password_reset"     // /dbconnections/change_password
	MessageVerifyEmail   = "verification_email" // /api/v2/jobs/verification-email
	MessageMFACode       = "mfa_code"           // an OOB enrollment or challenge
)

// Message is an email or SMS the tenant sent. Nothing leaves the machine:
// tests read Messages, make dev prints them (Config.OnMessage).
type Message struct {
	Kind    string // MessagePasswordReset, MessageVerifyEmail or MessageMFACode
	Channel string // "email" or "sms"
	To      string // the email address or phone number
	Link    string // password reset and email verification: the link to follow
	Ticket  string // the ticket in Link, for ResetPassword and VerifyEmail
	Code    string // MFA: the binding code the user types
	At      time.Time
}

// ticketTTL is the link lifetime, Auth0's default "URL Lifetime" of the
// change-password and verification emails (432,000 s).
const ticketTTL = 5 * 24 * time.Hour

// Messages returns the messages sent so far, oldest first (the most recent
// 1000).
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.messages.all()
}

// sendLocked puts m in the outbox; deliver hands it to Config.OnMessage
// once the lock is released.
func (s *Server) sendLocked(m Message) {
	if m.Channel == "" {
		m.Channel = "email"
	}
	m.At = s.now()
	s.messages.add(m)
	if s.cfg.OnMessage != nil {
		s.notify = append(s.notify, m)
	}
}

func (s *Server) deliver() {
	if s.cfg.OnMessage == nil {
		return
	}
	s.mu.Lock()
	out := s.notify
	s.notify = nil
	s.mu.Unlock()
	for _, m := range out {
		s.cfg.OnMessage(m)
	}
}

// changePasswordSent is Auth0's answer, as text/html, for known and unknown
// emails alike (go-auth0 recording TestDatabaseChangePassword).
const changePasswordSent = "We've just sent you an email to reset your password."

// changePassword answers POST /dbconnections/change_password. Only an
// existing user gets an email; the answer is the same either way.
func (s *Server) changePassword(p params) reply {
	// Not catalogued: the 400 bodies; they follow signup's.
	if id := p.get("client_id"); id != "" && id != s.cfg.ClientID {
		return dbErr("BadRequestError", "bad.client_id", "Unknown client: "+id)
	}
	email, conn := p.get("email"), p.get("connection")
	for _, f := range [...]struct{ name, value string }{{"email", email}, {"connection", conn}} {
		if f.value == "" {
			return dbErr("BadRequestError", "invalid_body", "Missing required parameter: "+f.name)
		}
	}
	if conn != s.cfg.Connection {
		return dbErr("BadRequestError", "bad.connection", "connection not found")
	}
	s.mu.Lock()
	if u := s.users[lower(email)]; u != nil {
		// Only the most recent link works, as Auth0 documents.
		u.resetTicket = opaqueToken("")
		u.resetExpires = s.now().Add(ticketTTL)
		s.sendLocked(Message{Kind: MessagePasswordReset, To: u.email, Ticket: u.resetTicket,
			Link: s.URL + "/u/reset-verify?ticket=" + u.resetTicket + "#"})
	}
	s.mu.Unlock()
	return reply{status: http.StatusOK, body: rawBody{contentType: "text/html; charset=utf-8", data: changePasswordSent}}
}

// ErrTicket is ResetPassword's and VerifyEmail's answer to a ticket that
// is unknown, used, superseded or expired.
var ErrTicket = errors.New("auth0test: invalid or expired ticket")

// ResetPassword follows a password-reset link: the ticket from its Message
// and the new password, checked against the password policy. The ticket is
// used up; brute-force blocks on the user are lifted, as Auth0 does on a
// password change.
func (s *Server) ResetPassword(ticket, newPassword string) error {
	if _, ok := checkPassword(newPassword); !ok {
		return errors.New("auth0test: the new password fails the password policy")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, u := range s.users {
		if ticket != "" && u.resetTicket == ticket && now.Before(u.resetExpires) {
			u.password, u.resetTicket, u.updated = newPassword, "", now
			for k := range s.failures {
				if k.username == u.email {
					delete(s.failures, k)
				}
			}
			return nil
		}
	}
	return ErrTicket
}

// VerifyEmail follows an email-verification link: the user's
// email_verified becomes true.
func (s *Server) VerifyEmail(ticket string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, u := range s.users {
		if ticket != "" && u.verifyTicket == ticket && now.Before(u.verifyExpires) {
			u.emailVerified, u.verifyTicket, u.updated = true, "", now
			return nil
		}
	}
	return ErrTicket
}
