package auth0test_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
)

// m2mToken gets a client-credentials token for audience and scope.
func m2mToken(t *testing.T, s *auth0test.Server, audience, scope string) answer {
	t.Helper()
	m := s.Config().M2M
	f := url.Values{"grant_type": {"client_credentials"}, "client_id": {m.ID}, "client_secret": {m.Secret}, "audience": {audience}}
	if scope != "" {
		f.Set("scope", scope)
	}
	return postToken(t, s, f, nil)
}

func mgmt(t *testing.T, s *auth0test.Server, method, path, token string, body map[string]any) answer {
	t.Helper()
	var h http.Header
	if token != "" {
		h = bearer(token)
	}
	if body == nil {
		return mustDo(t, method, s.URL+"/api/v2/"+path, "", "", h)
	}
	b, _ := json.Marshal(body)
	return mustDo(t, method, s.URL+"/api/v2/"+path, "application/json", string(b), h)
}

func TestClientCredentialsForTheManagementAPI(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	tok := m2mToken(t, s, s.ManagementAudience(), "").ok(t)
	if tok.Scope != "read:users delete:users update:users" || tok.ExpiresIn != 86400 || tok.IDToken != "" || tok.RefreshToken != "" {
		t.Errorf("answer %+v", tok)
	}
	_, keys := fetchJWKS(t, s)
	_, c := verify(t, tok.AccessToken, keys)
	m := s.Config().M2M
	if c["gty"] != "client-credentials" || c["sub"] != m.ID+"@clients" || c["azp"] != m.ID ||
		c["aud"] != s.ManagementAudience() || c["scope"] != tok.Scope || c["iss"] != s.Issuer() {
		t.Errorf("claims %v", c)
	}
	// A narrower scope.
	if tok := m2mToken(t, s, s.ManagementAudience(), "delete:users").ok(t); tok.Scope != "delete:users" {
		t.Errorf("narrowed scope %q", tok.Scope)
	}
	m2mToken(t, s, s.ManagementAudience(), "delete:users create:users").is(t, 403,
		`{"error":"access_denied","error_description":"Client has not been granted scopes: create:users"}`)
	m2mToken(t, s, "https://other.example/", "").is(t, 403,
		`{"error":"access_denied","error_description":"Service not enabled within domain: https://other.example/"}`)
}

func TestClientCredentialsForTheAPIIsNotAUser(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	tok := m2mToken(t, s, s.Config().Audience, "").ok(t)
	c := claimsOf(t, tok.AccessToken)
	if c["gty"] != "client-credentials" || !strings.HasSuffix(c["sub"].(string), "@clients") || c["aud"] != s.Config().Audience || c["scope"] != nil {
		t.Errorf("claims %v", c)
	}
	// Nor is it a Management token.
	mgmt(t, s, "GET", "users/auth0|x", tok.AccessToken, nil).is(t, 401,
		`{"statusCode":401,"error":"Unauthorized","message":"Bad audience: https://api.example.test","attributes":{"error":"Bad audience: https://api.example.test"}}`)
}

func TestClientCredentialsWithoutAClientGrant(t *testing.T) {
	s := newServer(t, auth0test.Config{M2M: auth0test.M2MClient{Scopes: []string{}}})
	m2mToken(t, s, s.ManagementAudience(), "").is(t, 403, `{"error":"access_denied","error_description":`+
		`"Client is not authorized to access \"`+s.ManagementAudience()+`\". You might probably want to create a \"client-grant\" associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants"}`)
	m := s.Config().M2M
	postToken(t, s, tokenForm(s, "u@example.com", goodPass), nil) // the app's login is unaffected
	f := tokenForm(s, "u@example.com", goodPass)
	f.Set("client_id", m.ID)
	f.Set("client_secret", m.Secret)
	postToken(t, s, f, nil).is(t, 403,
		`{"error":"unauthorized_client","error_description":"Grant type 'http://auth0.com/oauth/grant-type/password-realm' not allowed for the client."}`)
}

func TestManagementGetAndDeleteUser(t *testing.T) {
	clock := newClock()
	s := newServer(t, auth0test.Config{Clock: clock.Now})
	sub := s.AddUser("u@example.com", goodPass)
	rt := login(t, s, "u@example.com", "offline_access").ok(t).RefreshToken
	rt = refresh(t, s, rt).ok(t).RefreshToken // not a login: logins_count stays 1
	tok := m2mToken(t, s, s.ManagementAudience(), "").ok(t).AccessToken

	a := mgmt(t, s, "GET", "users/"+url.PathEscape(sub), tok, nil)
	id := strings.TrimPrefix(sub, "auth0|")
	stamp := clock.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	a.is(t, 200, `{"created_at":"`+stamp+`","email":"u@example.com","email_verified":false,`+
		`"identities":[{"connection":"Username-Password-Authentication","user_id":"`+id+`","provider":"auth0","isSocial":false}],`+
		`"name":"u@example.com","nickname":"u","updated_at":"`+stamp+`","user_id":"`+sub+`","last_login":"`+stamp+`","logins_count":1}`)

	for range 2 { // idempotent
		if a := mgmt(t, s, "DELETE", "users/"+url.PathEscape(sub), tok, nil); a.status != 204 || len(a.body) != 0 {
			t.Errorf("delete: %d %q", a.status, a.body)
		}
	}
	mgmt(t, s, "DELETE", "users/auth0|000000000000000000000000", tok, nil) // never existed: 204 too
	const inexistent = `{"statusCode":404,"error":"Not Found","message":"The user does not exist.","errorCode":"inexistent_user"}`
	mgmt(t, s, "GET", "users/"+url.PathEscape(sub), tok, nil).is(t, 404, inexistent)
	postToken(t, s, tokenForm(s, "u@example.com", goodPass), nil).is(t, 403,
		`{"error":"invalid_grant","error_description":"Wrong email or password."}`)
	refresh(t, s, rt).is(t, 403,
		`{"error":"invalid_grant","error_description":"The refresh_token was generated for a user who doesn't exist anymore."}`)
	// Signing up again makes a new user.
	if a := signup(t, s, "u@example.com", goodPass); a.status != 200 || a.decode(t)["_id"] == id {
		t.Errorf("signup after delete: %d %s", a.status, a.body)
	}
	mgmt(t, s, "GET", "users/"+url.PathEscape(sub), tok, nil).is(t, 404, inexistent)
}

func TestManagementAuthAndScopes(t *testing.T) {
	clock := newClock()
	s := newServer(t, auth0test.Config{Clock: clock.Now})
	sub := s.AddUser("u@example.com", goodPass)
	path := "users/" + url.PathEscape(sub)
	readOnly := m2mToken(t, s, s.ManagementAudience(), "read:users").ok(t).AccessToken

	mgmt(t, s, "DELETE", path, readOnly, nil).is(t, 403,
		`{"statusCode":403,"error":"Forbidden","message":"Insufficient scope, expected any of: delete:users","errorCode":"insufficient_scope"}`)
	mgmt(t, s, "POST", "jobs/verification-email", readOnly, map[string]any{"user_id": sub}).is(t, 403,
		`{"statusCode":403,"error":"Forbidden","message":"Insufficient scope, expected any of: update:users","errorCode":"insufficient_scope"}`)
	deleteOnly := m2mToken(t, s, s.ManagementAudience(), "delete:users").ok(t).AccessToken
	mgmt(t, s, "GET", path, deleteOnly, nil).is(t, 403,
		`{"statusCode":403,"error":"Forbidden","message":"Insufficient scope, expected any of: read:users","errorCode":"insufficient_scope"}`)
	if a := mgmt(t, s, "GET", path, readOnly, nil); a.status != 200 {
		t.Errorf("read:users GET: %d %s", a.status, a.body)
	}
	mgmt(t, s, "GET", "clients", readOnly, nil).is(t, 404, `{"statusCode":404,"error":"Not Found","message":"Not Found"}`)

	invalid := `{"statusCode":401,"error":"Unauthorized","message":"Invalid token","attributes":{"error":"Invalid token"}}`
	mgmt(t, s, "GET", path, "", nil).is(t, 401, `{"statusCode":401,"error":"Unauthorized","message":"Missing authentication"}`)
	mgmt(t, s, "GET", path, "not.a.jwt", nil).is(t, 401, invalid)
	forged := s.SignToken(map[string]any{"kid": "unknown"}, map[string]any{"iss": s.Issuer(), "aud": s.ManagementAudience(),
		"exp": clock.Now().Add(time.Hour).Unix(), "scope": "read:users"})
	mgmt(t, s, "GET", path, forged, nil).is(t, 401, invalid)
	otherIss := s.SignToken(nil, map[string]any{"iss": "https://evil.example/", "aud": s.ManagementAudience(),
		"exp": clock.Now().Add(time.Hour).Unix(), "scope": "read:users"})
	mgmt(t, s, "GET", path, otherIss, nil).is(t, 401, invalid)
	// A user's token is not a Management token.
	user := login(t, s, "u@example.com", "openid").ok(t).AccessToken
	if a := mgmt(t, s, "GET", path, user, nil); a.status != 401 || !strings.Contains(string(a.body), "Bad audience") {
		t.Errorf("user token: %d %s", a.status, a.body)
	}
	// Tokens signed before a key rotation still work; expired ones do not.
	s.RotateSigningKey()
	if a := mgmt(t, s, "GET", path, readOnly, nil); a.status != 200 {
		t.Errorf("after rotation: %d %s", a.status, a.body)
	}
	clock.Add(24 * time.Hour)
	mgmt(t, s, "GET", path, readOnly, nil).is(t, 401, `{"statusCode":401,"error":"Unauthorized",`+
		`"message":"Expired token received for JSON Web Token validation","attributes":{"error":"Expired token received for JSON Web Token validation"}}`)
}

func TestManagementVerificationEmail(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	sub := s.AddUser("u@example.com", goodPass)
	tok := m2mToken(t, s, s.ManagementAudience(), "").ok(t).AccessToken
	a := mgmt(t, s, "POST", "jobs/verification-email", tok, map[string]any{
		"user_id": sub, "identity": map[string]any{"user_id": strings.TrimPrefix(sub, "auth0|"), "provider": "auth0"},
	})
	m := a.decode(t)
	if a.status != 201 || m["type"] != "verification_email" || m["status"] != "pending" ||
		!regexp.MustCompile(`^job_[A-Za-z0-9]{16}$`).MatchString(m["id"].(string)) ||
		!regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(m["created_at"].(string)) || len(m) != 4 {
		t.Fatalf("job: %d %s", a.status, a.body)
	}
	msg := lastMessage(t, s)
	if msg.Kind != auth0test.MessageVerifyEmail || msg.To != "u@example.com" || msg.Channel != "email" ||
		msg.Link != s.URL+"/u/email-verification?ticket="+msg.Ticket+"#" {
		t.Fatalf("message %+v", msg)
	}
	if err := s.VerifyEmail(msg.Ticket); err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyEmail(msg.Ticket); err != auth0test.ErrTicket {
		t.Errorf("second use: %v", err)
	}
	if c := claimsOf(t, login(t, s, "u@example.com", "openid email").ok(t).IDToken); c["email_verified"] != true {
		t.Errorf("id token %v", c)
	}
	mgmt(t, s, "POST", "jobs/verification-email", tok, map[string]any{}).is(t, 400,
		`{"statusCode":400,"error":"Bad Request","message":"Payload validation error: 'Missing required property: user_id'.","errorCode":"invalid_body"}`)
	mgmt(t, s, "POST", "jobs/verification-email", tok, map[string]any{"user_id": "auth0|nobody"}).is(t, 404,
		`{"statusCode":404,"error":"Not Found","message":"The user does not exist.","errorCode":"inexistent_user"}`)
}

func TestManagementRateLimit(t *testing.T) {
	clock := newClock() // frozen: every request falls in one second
	s := newServer(t, auth0test.Config{Clock: clock.Now, ManagementRateLimit: 2})
	sub := s.AddUser("u@example.com", goodPass)
	tok := m2mToken(t, s, s.ManagementAudience(), "").ok(t).AccessToken
	reset := clock.Now().Unix() + 1
	for i, want := range []int{200, 204, 429} {
		method := map[int]string{0: "GET", 1: "DELETE", 2: "GET"}[i]
		a := mgmt(t, s, method, "users/"+url.PathEscape(sub), tok, nil)
		h := a.header
		if a.status != want || h.Get("X-RateLimit-Limit") != "2" || h.Get("X-RateLimit-Remaining") != map[int]string{0: "1", 1: "0", 2: "0"}[i] ||
			h.Get("X-RateLimit-Reset") != strconv.FormatInt(reset, 10) {
			t.Errorf("request %d: %d, headers %v", i, a.status, h)
		}
	}
	mgmt(t, s, "GET", "users/x", tok, nil).is(t, 429,
		`{"statusCode":429,"error":"Too Many Requests","message":"Global limit has been reached","errorCode":"too_many_requests"}`)
	// The Authentication API has its own budget.
	login(t, s, "other@example.com", "")
	clock.Add(time.Second)
	if a := mgmt(t, s, "GET", "users/x", tok, nil); a.status != 404 {
		t.Errorf("next second: %d", a.status)
	}
}
