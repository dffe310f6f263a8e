package auth0test_test

import (
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
)

func changePassword(t *testing.T, s *auth0test.Server, email string) answer {
	t.Helper()
	cfg := s.Config()
	return postJSON(t, s, "/dbconnections/change_password",
		map[string]any{"client_id": cfg.ClientID, "email": email, "connection": cfg.Connection}, nil)
}

func TestChangePasswordSameAnswerForEveryone(t *testing.T) {
	var mu sync.Mutex
	var delivered []auth0test.Message
	s := newServer(t, auth0test.Config{OnMessage: func(m auth0test.Message) {
		mu.Lock()
		defer mu.Unlock()
		delivered = append(delivered, m)
	}})
	s.AddUser("u@example.com", goodPass)
	known, unknown := changePassword(t, s, "U@example.com"), changePassword(t, s, "ghost@example.com")
	for _, a := range []answer{known, unknown} {
		if a.status != 200 || a.header.Get("Content-Type") != "text/html; charset=utf-8" ||
			string(a.body) != "We've just sent you an email to reset your password." {
			t.Errorf("answer: %d %q %q", a.status, a.header.Get("Content-Type"), a.body)
		}
	}
	ms := s.Messages()
	if len(ms) != 1 {
		t.Fatalf("messages %+v, want one, for the existing user only", ms)
	}
	m := ms[0]
	if m.Kind != auth0test.MessagePasswordReset || m.To != "u@example.com" || m.Channel != "email" || m.Ticket == "" ||
		m.Link != s.URL+"/u/reset-verify?ticket="+m.Ticket+"#" || m.At.IsZero() {
		t.Errorf("message %+v", m)
	}
	mu.Lock()
	if len(delivered) != 1 || delivered[0] != m {
		t.Errorf("OnMessage got %+v", delivered)
	}
	mu.Unlock()

	// A form post works too.
	cfg := s.Config()
	f := url.Values{"email": {"u@example.com"}, "connection": {cfg.Connection}}
	if a := mustDo(t, "POST", s.URL+"/dbconnections/change_password", "application/x-www-form-urlencoded", f.Encode(), nil); a.status != 200 {
		t.Errorf("form: %d %s", a.status, a.body)
	}
}

func TestChangePasswordBadRequests(t *testing.T) {
	s := newServer(t, auth0test.Config{RateLimit: 100})
	cfg := s.Config()
	for name, c := range map[string]struct {
		body map[string]any
		want string
	}{
		"no email":         {map[string]any{"connection": cfg.Connection}, `{"name":"BadRequestError","code":"invalid_body","description":"Missing required parameter: email","statusCode":400}`},
		"no connection":    {map[string]any{"email": "u@example.com"}, `{"name":"BadRequestError","code":"invalid_body","description":"Missing required parameter: connection","statusCode":400}`},
		"other connection": {map[string]any{"email": "u@example.com", "connection": "x"}, `{"name":"BadRequestError","code":"bad.connection","description":"connection not found","statusCode":400}`},
		"other client":     {map[string]any{"client_id": "x", "email": "u@example.com", "connection": cfg.Connection}, `{"name":"BadRequestError","code":"bad.client_id","description":"Unknown client: x","statusCode":400}`},
	} {
		t.Run(name, func(t *testing.T) {
			a := postJSON(t, s, "/dbconnections/change_password", c.body, nil)
			a.is(t, 400, c.want)
			if a.header.Get("X-RateLimit-Limit") != "100" {
				t.Error("not rate limited")
			}
		})
	}
}

func TestResetPasswordWithTheLatestTicket(t *testing.T) {
	clock := newClock()
	s := newServer(t, auth0test.Config{Clock: clock.Now, MaxFailedLogins: 2})
	s.AddUser("u@example.com", goodPass)
	changePassword(t, s, "u@example.com")
	old := lastMessage(t, s).Ticket
	changePassword(t, s, "u@example.com")
	latest := lastMessage(t, s).Ticket

	if err := s.ResetPassword(old, "N3w-Passw0rd!"); err != auth0test.ErrTicket {
		t.Errorf("superseded ticket: %v", err)
	}
	if err := s.ResetPassword(latest, "weak"); err == nil || err == auth0test.ErrTicket {
		t.Errorf("weak password: %v", err)
	}
	// Brute-force blocks are lifted by the reset.
	for range 2 {
		postToken(t, s, tokenForm(s, "u@example.com", "guess"), nil)
	}
	postToken(t, s, tokenForm(s, "u@example.com", goodPass), nil).is(t, 429, tooManyAttempts)
	if err := s.ResetPassword(latest, "N3w-Passw0rd!"); err != nil {
		t.Fatal(err)
	}
	if err := s.ResetPassword(latest, "N3w-Passw0rd!"); err != auth0test.ErrTicket {
		t.Errorf("used ticket: %v", err)
	}
	f := tokenForm(s, "u@example.com", "N3w-Passw0rd!")
	postToken(t, s, f, nil).ok(t)
	postToken(t, s, tokenForm(s, "u@example.com", goodPass), nil).is(t, 403,
		`{"error":"invalid_grant","error_description":"Wrong email or password."}`)

	changePassword(t, s, "u@example.com")
	clock.Add(5 * 24 * time.Hour)
	if err := s.ResetPassword(lastMessage(t, s).Ticket, "An0ther-Pass!"); err != auth0test.ErrTicket {
		t.Errorf("expired ticket: %v", err)
	}
}
