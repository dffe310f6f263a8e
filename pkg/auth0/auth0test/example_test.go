package auth0test_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
)

// A test starts a fake tenant, seeds a user and logs in with the
// password-realm grant, exactly as against https://<tenant>.auth0.com.
func Example() {
	srv := auth0test.NewServer(auth0test.Config{})
	defer srv.Close()
	sub := srv.AddUser("ada@example.com", "Corr3ct-Horse")

	cfg := srv.Config()
	resp, err := http.PostForm(srv.URL+"/oauth/token", url.Values{
		"grant_type":    {"http://auth0.com/oauth/grant-type/password-realm"},
		"realm":         {cfg.Connection},
		"client_id":     {cfg.ClientID},
		"client_secret": {cfg.ClientSecret},
		"audience":      {cfg.Audience},
		"username":      {"ada@example.com"},
		"password":      {"Corr3ct-Horse"},
	})
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	fmt.Println(resp.StatusCode, tok.TokenType, tok.ExpiresIn, strings.Count(tok.AccessToken, "."))
	fmt.Println(strings.HasPrefix(sub, "auth0|"))
	// Output:
	// 200 Bearer 86400 2
	// true
}

// Faults make Auth0 misbehave for a given number of requests.
func ExampleServer_Fault() {
	srv := auth0test.NewServer(auth0test.Config{})
	defer srv.Close()
	srv.Fault("/oauth/token", auth0test.Fault{Status: http.StatusServiceUnavailable, Times: 1})

	for range 2 {
		resp, err := http.PostForm(srv.URL+"/oauth/token", url.Values{})
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	fmt.Println(len(srv.Requests()))
	// Output:
	// 503
	// 400
	// 2
}

// postForm posts to the tenant and decodes the JSON answer.
func postForm(srv *auth0test.Server, path string, form url.Values) (int, map[string]any) {
	resp, err := http.PostForm(srv.URL+path, form)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// Refresh tokens rotate: each refresh returns a new one, and replaying a
// used one revokes the whole family, as Auth0's reuse detection does.
func Example_refreshTokenRotation() {
	srv := auth0test.NewServer(auth0test.Config{})
	defer srv.Close()
	srv.AddUser("ada@example.com", "Corr3ct-Horse")
	cfg := srv.Config()
	app := func(kv ...string) url.Values {
		f := url.Values{"client_id": {cfg.ClientID}, "client_secret": {cfg.ClientSecret}}
		for i := 0; i < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return f
	}

	_, login := postForm(srv, "/oauth/token", app("grant_type", "http://auth0.com/oauth/grant-type/password-realm",
		"realm", cfg.Connection, "username", "ada@example.com", "password", "Corr3ct-Horse", "scope", "openid offline_access"))
	first := login["refresh_token"].(string)

	status, next := postForm(srv, "/oauth/token", app("grant_type", "refresh_token", "refresh_token", first))
	second := next["refresh_token"].(string)
	fmt.Println(status, second != first)

	status, reused := postForm(srv, "/oauth/token", app("grant_type", "refresh_token", "refresh_token", first))
	fmt.Println(status, reused["error"], reused["error_description"])
	status, _ = postForm(srv, "/oauth/token", app("grant_type", "refresh_token", "refresh_token", second))
	fmt.Println(status)
	// Output:
	// 200 true
	// 403 invalid_grant Unknown or invalid refresh token.
	// 403
}

// With MFA required, a correct password answers 403 mfa_required and an
// mfa_token; the mfa-otp grant trades it and the authenticator app's code
// for tokens. TOTP computes that code.
func Example_mfa() {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	srv := auth0test.NewServer(auth0test.Config{MFARequired: true, Clock: func() time.Time { return now }})
	defer srv.Close()
	srv.AddUser("ada@example.com", "Corr3ct-Horse")
	secret, _, _ := srv.EnrollOTP("ada@example.com")
	cfg := srv.Config()

	status, refusal := postForm(srv, "/oauth/token", url.Values{
		"grant_type": {"http://auth0.com/oauth/grant-type/password-realm"}, "realm": {cfg.Connection},
		"client_id": {cfg.ClientID}, "client_secret": {cfg.ClientSecret},
		"username": {"ada@example.com"}, "password": {"Corr3ct-Horse"},
	})
	fmt.Println(status, refusal["error"])

	status, tok := postForm(srv, "/oauth/token", url.Values{
		"grant_type": {"http://auth0.com/oauth/grant-type/mfa-otp"},
		"client_id":  {cfg.ClientID}, "client_secret": {cfg.ClientSecret},
		"mfa_token": {refusal["mfa_token"].(string)}, "otp": {auth0test.TOTP(secret, now)},
	})
	fmt.Println(status, tok["token_type"])
	// Output:
	// 403 mfa_required
	// 200 Bearer
}
