package auth0test

import (
	"net/http"
	"net/mail"
)

type signupAnswer struct {
	ID            string `json:"_id"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
}

// signup answers POST /dbconnections/signup. Checks run in the order Auth0
// most plausibly applies them: application and connection, body, password
// policy, dictionary, breached passwords, then the user store.
func (s *Server) signup(p params) reply {
	// Not catalogued: the bodies for an unknown client, connection or a bad
	// body. They follow the /dbconnections shape, with "bad.*" codes for
	// settings and invalid_body for the request itself.
	if id := p.get("client_id"); id != s.cfg.ClientID {
		return dbErr("BadRequestError", "bad.client_id", "Unknown client: "+id)
	}
	if p.get("connection") != s.cfg.Connection {
		return dbErr("BadRequestError", "bad.connection", "connection not found")
	}
	email, password := p.get("email"), p.get("password")
	for _, f := range [...]struct{ name, value string }{{"email", email}, {"password", password}} {
		if f.value == "" {
			return dbErr("BadRequestError", "invalid_body", "Missing required parameter: "+f.name)
		}
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return dbErr("BadRequestError", "invalid_body", "Object didn't pass validation for format email: "+email)
	}

	if rules, ok := checkPassword(password); !ok {
		return badRequest(dbError{Name: "PasswordStrengthError", Message: "Password is too weak",
			Code: "invalid_password", Description: rules, Policy: passwordPolicy})
	}
	if isCommonPassword(password) {
		return badRequest(dbError{Name: "PasswordDictionaryError", Message: "Password is too common",
			Code: "invalid_password", Description: "Password is not allowed, it might be too common."})
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isLeakedLocked(password) {
		// Not catalogued beyond the code: status 400 and this description
		// are a guess in the /dbconnections shape.
		return dbErr("BadRequestError", "password_leaked", "This password has been leaked and cannot be used.")
	}
	if _, dup := s.users[lower(email)]; dup {
		if s.cfg.GenericSignupError {
			return dbErr("BadRequestError", "invalid_signup", "Invalid sign up")
		}
		return dbErr("BadRequestError", "user_exists", "The user already exists.")
	}
	u := s.createLocked(email, password)
	// Auth0 stores and returns the email in lower case.
	return reply{status: http.StatusOK, body: signupAnswer{ID: u.id, Email: u.email}}
}
