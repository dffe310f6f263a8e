package verify_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
	"github.com/auth0-sam-go/authapi/pkg/auth0/verify"
)

// A service checks the access tokens POST /token hands out. Against a real
// tenant the issuer is "https://TENANT.REGION.auth0.com" and the audience
// the API identifier; here the Auth0 emulator plays the tenant.
func Example() {
	tenant := auth0test.NewServer(auth0test.Config{})
	defer tenant.Close()
	tenant.AddUser("ada@example.com", "Corr3ct-Horse-42")

	// The context ends the Verifier's background refresh of the keys.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v, err := verify.New(tenant.Issuer(), tenant.Config().Audience, verify.WithContext(ctx))
	if err != nil {
		panic(err)
	}
	api := httptest.NewServer(verify.Middleware(v, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := verify.ClaimsFrom(r.Context())
		fmt.Fprintf(w, "hello %s, scopes %v", c.Subject[:6], c.Scopes)
	})))
	defer api.Close()

	token := exampleLogin(tenant, "ada@example.com", "Corr3ct-Horse-42", "read:reports")
	for _, auth := range []string{"Bearer " + token, ""} {
		req, _ := http.NewRequest(http.MethodGet, api.URL, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, string(body))
		if c := resp.Header.Get("WWW-Authenticate"); c != "" {
			fmt.Println("WWW-Authenticate:", c)
		}
	}

	// Verify on its own says why a token is refused.
	_, err = v.Verify(ctx, token[:len(token)-4]+"AAAA")
	fmt.Println(err)
	// Output:
	// 200 hello auth0|, scopes [read:reports]
	// 401 {"error":"Unauthorized","code":"invalid_token","message":"the request has no bearer token"}
	// WWW-Authenticate: Bearer
	// verify: bad_signature
}

// exampleLogin is what POST /token does: the password-realm grant.
func exampleLogin(tenant *auth0test.Server, email, password, scope string) string {
	cfg := tenant.Config()
	form := strings.NewReader("grant_type=http%3A%2F%2Fauth0.com%2Foauth%2Fgrant-type%2Fpassword-realm" +
		"&realm=" + cfg.Connection + "&client_id=" + cfg.ClientID + "&client_secret=" + cfg.ClientSecret +
		"&username=" + email + "&password=" + password + "&scope=" + scope)
	resp, err := http.Post(tenant.URL+"/oauth/token", "application/x-www-form-urlencoded", form)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	_, rest, _ := strings.Cut(string(body), `"access_token":"`)
	token, _, _ := strings.Cut(rest, `"`)
	return token
}
