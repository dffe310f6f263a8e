package auth0

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func newTestClient(t *testing.T, h http.HandlerFunc) (*Client, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	c := NewClient(Config{BaseURL: srv.URL, ClientID: "cid", Audience: "https://api", Connection: "db", Scope: "openid"}, nil)
	c.retryDelay = func() time.Duration { return time.Millisecond }
	return c, &calls
}

func kindOf(t *testing.T, err error) Kind {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *auth0.Error", err, err)
	}
	return e.Kind
}

func TestSignupSendsJSONAndReturnsUser(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/dbconnections/signup" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("got %s %s %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
		var body map[string]string
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Error(err)
		}
		want := map[string]string{"client_id": "cid", "email": "a@b.co", "password": "pw", "connection": "db"}
		for k, v := range want {
			if body[k] != v {
				t.Errorf("body[%s] = %q, want %q", k, body[k], v)
			}
		}
		w.Write([]byte(`{"_id":"668fbaab724b1bf53b436691","email":"a@b.co","email_verified":false}`))
	})
	u, err := c.Signup(context.Background(), "a@b.co", "pw")
	if err != nil {
		t.Fatal(err)
	}
	if u.UserID() != "auth0|668fbaab724b1bf53b436691" || u.Email != "a@b.co" {
		t.Fatalf("user = %+v", u)
	}
}

func TestTokenSendsPasswordRealmFormAndForwardedFor(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		want := map[string]string{"grant_type": PasswordRealmGrant, "realm": "db", "client_id": "cid",
			"client_secret": "s3cret", "audience": "https://api", "username": "a@b.co", "password": "pw", "scope": "openid"}
		for k, v := range want {
			if got := r.PostForm.Get(k); got != v {
				t.Errorf("form %s = %q, want %q", k, got, v)
			}
		}
		if got := r.Header.Get("auth0-forwarded-for"); got != "203.0.113.10" {
			t.Errorf("auth0-forwarded-for = %q", got)
		}
		w.Write([]byte(`{"access_token":"at","token_type":"Bearer","expires_in":86400,"id_token":"it"}`))
	})
	tok, err := c.Token(context.Background(), TokenRequest{Username: "a@b.co", Password: "pw", ClientSecret: "s3cret", ClientIP: "203.0.113.10"})
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "at" || tok.ExpiresIn != 86400 || tok.TokenType != "Bearer" {
		t.Fatalf("token = %+v", tok)
	}
}

func TestTokenRetriesOnceOnUpstreamFailure(t *testing.T) {
	c, calls := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	_, err := c.Token(context.Background(), TokenRequest{Username: "a@b.co", Password: "pw"})
	if kindOf(t, err) != KindUpstream || calls.Load() != 2 {
		t.Fatalf("kind %v after %d calls; want upstream after exactly 2", kindOf(t, err), calls.Load())
	}
}

func TestTokenRetrySucceedsAfterOneFailure(t *testing.T) {
	var seen atomic.Int32
	c, calls := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) == 1 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.Write([]byte(`{"access_token":"at","token_type":"Bearer","expires_in":60}`))
	})
	if _, err := c.Token(context.Background(), TokenRequest{}); err != nil || calls.Load() != 2 {
		t.Fatalf("err %v after %d calls", err, calls.Load())
	}
}

func TestTokenDoesNotRetryAnswersAboutCredentials(t *testing.T) {
	c, calls := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"error":"invalid_grant","error_description":"Wrong email or password."}`))
	})
	_, err := c.Token(context.Background(), TokenRequest{})
	if kindOf(t, err) != KindInvalidCredentials || calls.Load() != 1 {
		t.Fatalf("kind %v after %d calls", kindOf(t, err), calls.Load())
	}
}

func TestTokenSkipsRetryWhenDeadlineIsClose(t *testing.T) {
	c, calls := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := c.Token(ctx, TokenRequest{})
	if kindOf(t, err) != KindUpstream || calls.Load() != 1 {
		t.Fatalf("kind %v after %d calls; want 1 call", kindOf(t, err), calls.Load())
	}
}

func TestSignupIsNeverRetried(t *testing.T) {
	c, calls := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		// Hijack and drop: the request may have reached Auth0.
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	})
	_, err := c.Signup(context.Background(), "a@b.co", "pw")
	if kindOf(t, err) != KindUpstream || calls.Load() != 1 {
		t.Fatalf("kind %v after %d calls; want upstream after 1", kindOf(t, err), calls.Load())
	}
}

func TestHangingServerIsATimeout(t *testing.T) {
	release := make(chan struct{})
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Signup(ctx, "a@b.co", "pw")
	if kindOf(t, err) != KindTimeout {
		t.Fatalf("kind %v, want timeout", kindOf(t, err))
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("returned after %v", took)
	}
}

func TestOversizedAnswerIsUpstreamError(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("x", 3<<20)))
	})
	_, err := c.Signup(context.Background(), "a@b.co", "pw")
	if kindOf(t, err) != KindUpstream {
		t.Fatalf("kind %v", kindOf(t, err))
	}
}

func TestRefusedConnectionIsUpstreamError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c := NewClient(Config{BaseURL: url}, nil)
	_, err := c.Signup(context.Background(), "a@b.co", "pw")
	if kindOf(t, err) != KindUpstream {
		t.Fatalf("kind %v", kindOf(t, err))
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	c, calls := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	})
	_, err := c.Signup(context.Background(), "a@b.co", "pw")
	if err == nil || calls.Load() != 1 {
		t.Fatalf("err %v after %d calls; want an error and no second request", err, calls.Load())
	}
}
