package auth0test_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

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
