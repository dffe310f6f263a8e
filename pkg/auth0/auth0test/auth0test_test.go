package auth0test_test

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
)

const (
	realmGrant = "http://auth0.com/oauth/grant-type/password-realm"
	goodPass   = "Corr3ct-Horse"
)

func newServer(t *testing.T, cfg auth0test.Config) *auth0test.Server {
	t.Helper()
	s := auth0test.NewServer(cfg)
	t.Cleanup(s.Close)
	return s
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) decode(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", a.body, err)
	}
	return m
}

// is checks status, the JSON content type and the body, compared as JSON.
func (a answer) is(t *testing.T, status int, wantJSON string) {
	t.Helper()
	if a.status != status {
		t.Errorf("status = %d, want %d (body %s)", a.status, status, a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	var got, want any
	if err := json.Unmarshal(a.body, &got); err != nil {
		t.Fatalf("body %q: %v", a.body, err)
	}
	if err := json.Unmarshal([]byte(wantJSON), &want); err != nil {
		t.Fatalf("bad want %q: %v", wantJSON, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("body = %s\nwant   %s", a.body, wantJSON)
	}
}

func do(t *testing.T, c *http.Client, method, u, contentType, body string, header http.Header) (answer, error) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	return answer{resp.StatusCode, resp.Header, data}, nil
}

func mustDo(t *testing.T, method, u, contentType, body string, header http.Header) answer {
	t.Helper()
	a, err := do(t, nil, method, u, contentType, body, header)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func signupBody(s *auth0test.Server, email, password string) map[string]any {
	cfg := s.Config()
	return map[string]any{"client_id": cfg.ClientID, "email": email, "password": password, "connection": cfg.Connection}
}

func postSignup(t *testing.T, s *auth0test.Server, body map[string]any) answer {
	t.Helper()
	b, _ := json.Marshal(body)
	return mustDo(t, http.MethodPost, s.URL+"/dbconnections/signup", "application/json", string(b), nil)
}

func signup(t *testing.T, s *auth0test.Server, email, password string) answer {
	t.Helper()
	return postSignup(t, s, signupBody(s, email, password))
}

func tokenForm(s *auth0test.Server, username, password string) url.Values {
	cfg := s.Config()
	return url.Values{
		"grant_type": {realmGrant}, "realm": {cfg.Connection},
		"client_id": {cfg.ClientID}, "client_secret": {cfg.ClientSecret},
		"audience": {cfg.Audience}, "username": {username}, "password": {password},
	}
}

func postToken(t *testing.T, s *auth0test.Server, form url.Values, header http.Header) answer {
	t.Helper()
	return mustDo(t, http.MethodPost, s.URL+"/oauth/token", "application/x-www-form-urlencoded", form.Encode(), header)
}

func fromIP(ip string) http.Header { return http.Header{"Auth0-Forwarded-For": {ip}} }

// --- JWT verification, done by hand with crypto/rsa ---

func fetchJWKS(t *testing.T, s *auth0test.Server) (kids []string, keys map[string]*rsa.PublicKey) {
	t.Helper()
	a := mustDo(t, http.MethodGet, s.JWKSURL(), "", "", nil)
	if a.status != http.StatusOK {
		t.Fatalf("JWKS status %d", a.status)
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(a.body, &set); err != nil {
		t.Fatal(err)
	}
	keys = map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k["kty"] != "RSA" || k["use"] != "sig" || k["alg"] != "RS256" || k["kid"] == "" {
			t.Errorf("JWK fields: %v", k)
		}
		if strings.ContainsAny(k["n"]+k["e"], "=+/") {
			t.Errorf("n/e not unpadded base64url: %v", k)
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k["n"])
		e, err2 := base64.RawURLEncoding.DecodeString(k["e"])
		if err1 != nil || err2 != nil {
			t.Fatalf("JWK decode: %v %v", err1, err2)
		}
		keys[k["kid"]] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		kids = append(kids, k["kid"])
	}
	return kids, keys
}

// verify checks an RS256 signature against the key its kid names and
// returns the decoded header and claims.
func verify(t *testing.T, token string, keys map[string]*rsa.PublicKey) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	part := func(i int) map[string]any {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		return m
	}
	header, claims = part(0), part(1)
	kid, _ := header["kid"].(string)
	key, ok := keys[kid]
	if !ok {
		t.Fatalf("kid %q not in JWKS", kid)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig); err != nil {
		t.Fatalf("signature: %v", err)
	}
	return header, claims
}

// --- server basics ---

func TestConfigDefaultsAndURLs(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	want := auth0test.Config{
		ClientID: "test-client-id", ClientSecret: "test-client-secret", Audience: "https://api.example.test",
		Connection: "Username-Password-Authentication", MaxFailedLogins: 10, TokenTTL: 24 * time.Hour,
		RefreshTokenLifetime: 30 * 24 * time.Hour, MaxRequests: 1000, Addr: "127.0.0.1:0",
		M2M: auth0test.M2MClient{ID: "test-m2m-client-id", Secret: "test-m2m-client-secret",
			Scopes: []string{"read:users", "delete:users", "update:users"}},
	}
	if got := s.Config(); !reflect.DeepEqual(got, want) {
		t.Errorf("Config() = %+v\nwant %+v", got, want)
	}
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`).MatchString(s.URL) {
		t.Errorf("URL = %q", s.URL)
	}
	if s.Issuer() != s.URL+"/" || s.JWKSURL() != s.URL+"/.well-known/jwks.json" || s.ManagementAudience() != s.URL+"/api/v2/" {
		t.Errorf("Issuer %q JWKSURL %q ManagementAudience %q", s.Issuer(), s.JWKSURL(), s.ManagementAudience())
	}
	// Config returns a copy: changing it changes nothing.
	s.Config().M2M.Scopes[0] = "changed"
	if s.Config().M2M.Scopes[0] != "read:users" {
		t.Error("Config() shares M2M.Scopes")
	}
}

func TestNewServerPanicsWhenItCannotListen(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	defer func() {
		if recover() == nil {
			t.Error("no panic for an address in use")
		}
	}()
	auth0test.NewServer(auth0test.Config{Addr: strings.TrimPrefix(s.URL, "http://")}).Close()
}

func TestAddrWildcardGivesDialableURL(t *testing.T) {
	s := newServer(t, auth0test.Config{Addr: ":0"})
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("URL = %q", s.URL)
	}
	mustDo(t, http.MethodGet, s.JWKSURL(), "", "", nil)
}

func TestCloseStopsServingAndIsIdempotent(t *testing.T) {
	s := auth0test.NewServer(auth0test.Config{})
	s.Close()
	s.Close()
	if _, err := do(t, nil, http.MethodGet, s.JWKSURL(), "", "", nil); err == nil {
		t.Error("request after Close succeeded")
	}
}

func TestUnknownRoutesAre404JSON(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	for _, r := range []struct{ method, path string }{
		{"GET", "/nope"}, {"GET", "/oauth/token"}, {"PUT", "/dbconnections/signup"}, {"POST", "/.well-known/jwks.json"},
	} {
		mustDo(t, r.method, s.URL+r.path, "", "", nil).
			is(t, 404, `{"error":"not_found","error_description":"Not Found"}`)
	}
}

// --- signup ---

func TestSignupSuccess(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	a := signup(t, s, "Ada@Example.COM", goodPass)
	if a.status != 200 || a.header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("status %d, Content-Type %q, body %s", a.status, a.header.Get("Content-Type"), a.body)
	}
	m := a.decode(t)
	id, _ := m["_id"].(string)
	if !regexp.MustCompile(`^[0-9a-f]{24}$`).MatchString(id) {
		t.Errorf("_id = %q", id)
	}
	a.is(t, 200, fmt.Sprintf(`{"_id":%q,"email":"ada@example.com","email_verified":false}`, id))
	if sub, ok := s.UserID("ADA@example.com"); !ok || sub != "auth0|"+id {
		t.Errorf("UserID = %q, %v; want auth0|%s", sub, ok, id)
	}
	if a := postToken(t, s, tokenForm(s, "ada@EXAMPLE.com", goodPass), nil); a.status != 200 {
		t.Errorf("login after signup: %d %s", a.status, a.body)
	}
}

func TestSignupAcceptsFormPost(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	cfg := s.Config()
	form := url.Values{"client_id": {cfg.ClientID}, "email": {"f@example.com"}, "password": {goodPass}, "connection": {cfg.Connection}}
	a := mustDo(t, "POST", s.URL+"/dbconnections/signup", "application/x-www-form-urlencoded", form.Encode(), nil)
	if a.status != 200 {
		t.Fatalf("%d %s", a.status, a.body)
	}
}

func TestSignupDuplicate(t *testing.T) {
	t.Run("user_exists", func(t *testing.T) {
		s := newServer(t, auth0test.Config{})
		s.AddUser("dup@example.com", "whatever")
		signup(t, s, "DUP@example.com", goodPass).is(t, 400,
			`{"name":"BadRequestError","code":"user_exists","description":"The user already exists.","statusCode":400}`)
	})
	t.Run("generic", func(t *testing.T) {
		s := newServer(t, auth0test.Config{GenericSignupError: true})
		signup(t, s, "dup@example.com", goodPass)
		signup(t, s, "dup@example.com", goodPass).is(t, 400,
			`{"name":"BadRequestError","code":"invalid_signup","description":"Invalid sign up","statusCode":400}`)
	})
}

const policyText = "* At least 8 characters in length\\n* Contain at least 3 of the following 4 types of characters:\\n * lower case letters (a-z)\\n * upper case letters (A-Z)\\n * numbers (i.e. 0-9)\\n * special characters (e.g. !@#$%^&*)"

func TestSignupPasswordStrengthMatchesCatalogue(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	// lower case + special, 8 long: the catalogue's example verdict.
	signup(t, s, "weak@example.com", "abc!defg").is(t, 400, `{"name": "PasswordStrengthError", "message": "Password is too weak", "code": "invalid_password", "description": {"rules": [{"message": "At least %d characters in length", "format": [8], "code": "lengthAtLeast", "verified": true}, {"message": "Contain at least %d of the following %d types of characters:", "code": "containsAtLeast", "format": [3, 4], "items": [{"message": "lower case letters (a-z)", "code": "lowerCase", "verified": true}, {"message": "upper case letters (A-Z)", "code": "upperCase", "verified": false}, {"message": "numbers (i.e. 0-9)", "code": "numbers", "verified": false}, {"message": "special characters (e.g. !@#$%^&*)", "code": "specialCharacters", "verified": true}], "verified": false}], "verified": false}, "policy": "`+policyText+`", "statusCode": 400}`)
	if _, ok := s.UserID("weak@example.com"); ok {
		t.Error("weak signup created a user")
	}
}

func TestSignupPasswordStrengthFlags(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	for _, c := range []struct {
		password        string
		length          bool
		lower, upper    bool
		digits, special bool
	}{
		{"aB1", false, true, true, true, false},
		{"abcdefgh", true, true, false, false, false},
		{"ABCDEFG1", true, false, true, true, false},
		{"12345678 ", true, false, false, true, true},
		{"ÄÖÜäöüßé1", true, false, false, true, false}, // only ASCII letters count
	} {
		a := signup(t, s, "flags@example.com", c.password)
		var body struct {
			Name        string
			Description struct {
				Rules []struct {
					Code     string
					Verified bool
					Items    []struct{ Verified bool }
				}
				Verified bool
			}
		}
		if err := json.Unmarshal(a.body, &body); err != nil || a.status != 400 || body.Name != "PasswordStrengthError" {
			t.Fatalf("%q: %d %s", c.password, a.status, a.body)
		}
		r := body.Description.Rules
		types := 0
		got := []bool{r[0].Verified}
		for _, it := range r[1].Items {
			got = append(got, it.Verified)
			if it.Verified {
				types++
			}
		}
		want := []bool{c.length, c.lower, c.upper, c.digits, c.special}
		if !reflect.DeepEqual(got, want) || r[1].Verified != (types >= 3) || body.Description.Verified {
			t.Errorf("%q: flags %v (contains %v, top %v), want %v", c.password, got, r[1].Verified, body.Description.Verified, want)
		}
	}
}

func TestSignupDictionary(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	for _, pw := range []string{"Password123!", "Passw0rd!", "PASSWORD123!"} {
		signup(t, s, "common@example.com", pw).is(t, 400,
			`{"name":"PasswordDictionaryError","message":"Password is too common","code":"invalid_password","description":"Password is not allowed, it might be too common.","statusCode":400}`)
	}
}

func TestSignupLeakedPassword(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	s.LeakPassword("Breached-Pa55")
	for _, pw := range []string{"Breached-Pa55", "Paaf213XXYYZZ", "AUTH0-TEST-1a"} {
		signup(t, s, "leak@example.com", pw).is(t, 400,
			`{"name":"BadRequestError","code":"password_leaked","description":"This password has been leaked and cannot be used.","statusCode":400}`)
	}
	if _, ok := s.UserID("leak@example.com"); ok {
		t.Error("leaked signup created a user")
	}
}

func TestSignupBadRequests(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	for name, c := range map[string]struct {
		change       func(map[string]any)
		code, detail string
	}{
		"unknown client":     {func(b map[string]any) { b["client_id"] = "nope" }, "bad.client_id", "Unknown client: nope"},
		"unknown connection": {func(b map[string]any) { b["connection"] = "Other" }, "bad.connection", "connection not found"},
		"no connection":      {func(b map[string]any) { delete(b, "connection") }, "bad.connection", "connection not found"},
		"no email":           {func(b map[string]any) { delete(b, "email") }, "invalid_body", "Missing required parameter: email"},
		"no password":        {func(b map[string]any) { b["password"] = "" }, "invalid_body", "Missing required parameter: password"},
		"bad email":          {func(b map[string]any) { b["email"] = "not-an-email" }, "invalid_body", "Object didn't pass validation for format email: not-an-email"},
	} {
		t.Run(name, func(t *testing.T) {
			b := signupBody(s, "bad@example.com", goodPass)
			c.change(b)
			postSignup(t, s, b).is(t, 400, fmt.Sprintf(
				`{"name":"BadRequestError","code":%q,"description":%q,"statusCode":400}`, c.code, c.detail))
		})
	}
}

// --- token ---

func TestTokenErrorsMatchCatalogue(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	s.AddUser("user@example.com", goodPass)
	for name, c := range map[string]struct {
		change func(url.Values)
		status int
		body   string
	}{
		"wrong password": {func(f url.Values) { f.Set("password", "nope") }, 403,
			`{"error":"invalid_grant","error_description":"Wrong email or password."}`},
		"unknown user": {func(f url.Values) { f.Set("username", "ghost@example.com") }, 403,
			`{"error":"invalid_grant","error_description":"Wrong email or password."}`},
		"wrong secret": {func(f url.Values) { f.Set("client_secret", "old") }, 401,
			`{"error":"access_denied","error_description":"Unauthorized"}`},
		"missing secret": {func(f url.Values) { f.Del("client_secret") }, 401,
			`{"error":"access_denied","error_description":"Unauthorized"}`},
		"unknown client": {func(f url.Values) { f.Set("client_id", "other") }, 401,
			`{"error":"access_denied","error_description":"Unauthorized"}`},
		"missing client": {func(f url.Values) { f.Del("client_id") }, 401,
			`{"error":"access_denied","error_description":"Unauthorized"}`},
		"unknown audience": {func(f url.Values) { f.Set("audience", "https://other.example") }, 403,
			`{"error":"access_denied","error_description":"Service not found: https://other.example"}`},
		"grant not allowed": {func(f url.Values) { f.Set("grant_type", "client_credentials") }, 403,
			`{"error":"unauthorized_client","error_description":"Grant type 'client_credentials' not allowed for the client."}`},
		"password grant without realm": {func(f url.Values) { f.Set("grant_type", "password"); f.Del("realm") }, 500,
			`{"error":"server_error","error_description":"Authorization server not configured with default connection."}`},
		"unknown realm": {func(f url.Values) { f.Set("realm", "Other-DB") }, 400,
			`{"error":"invalid_request","error_description":"connection not found"}`},
		"missing grant": {func(f url.Values) { f.Del("grant_type") }, 400,
			`{"error":"invalid_request","error_description":"Missing required parameter: grant_type"}`},
		"missing username": {func(f url.Values) { f.Del("username") }, 400,
			`{"error":"invalid_request","error_description":"Missing required parameter: username"}`},
	} {
		t.Run(name, func(t *testing.T) {
			f := tokenForm(s, "user@example.com", goodPass)
			c.change(f)
			postToken(t, s, f, nil).is(t, c.status, c.body)
		})
	}
}

func TestTokenWrongPasswordAndUnknownUserAreIdentical(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	s.AddUser("user@example.com", goodPass)
	a := postToken(t, s, tokenForm(s, "user@example.com", "wrong"), nil)
	b := postToken(t, s, tokenForm(s, "nobody@example.com", "wrong"), nil)
	if a.status != b.status || !bytes.Equal(a.body, b.body) {
		t.Errorf("differ: %d %s vs %d %s", a.status, a.body, b.status, b.body)
	}
}

func TestTokenSuccessWithOpenID(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	sub := s.AddUser("user@example.com", goodPass)
	f := tokenForm(s, "USER@example.com", goodPass)
	f.Set("scope", "openid profile email offline_access openid")
	before := time.Now().Unix()
	a := postToken(t, s, f, nil)
	if a.status != 200 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	if a.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", a.header.Get("Cache-Control"))
	}
	var tok struct {
		AccessToken  string  `json:"access_token"`
		IDToken      string  `json:"id_token"`
		RefreshToken string  `json:"refresh_token"`
		TokenType    string  `json:"token_type"`
		ExpiresIn    float64 `json:"expires_in"`
		Scope        string  `json:"scope"`
	}
	json.Unmarshal(a.body, &tok)
	if tok.TokenType != "Bearer" || tok.ExpiresIn != 86400 || tok.Scope != "openid profile email offline_access" ||
		tok.IDToken == "" || tok.RefreshToken == "" {
		t.Errorf("answer: %s", a.body)
	}
	_, keys := fetchJWKS(t, s)
	h, c := verify(t, tok.AccessToken, keys)
	if h["alg"] != "RS256" || h["typ"] != "JWT" {
		t.Errorf("header %v", h)
	}
	cfg := s.Config()
	iat, exp := c["iat"].(float64), c["exp"].(float64)
	if c["iss"] != s.Issuer() || !strings.HasSuffix(c["iss"].(string), "/") || c["sub"] != sub ||
		c["azp"] != cfg.ClientID || c["gty"] != "password" || c["scope"] != tok.Scope ||
		exp-iat != 86400 || int64(iat) < before || int64(iat) > time.Now().Unix() {
		t.Errorf("claims %v", c)
	}
	if !reflect.DeepEqual(c["aud"], []any{cfg.Audience, s.Issuer() + "userinfo"}) {
		t.Errorf("aud = %v", c["aud"])
	}
	_, ic := verify(t, tok.IDToken, keys)
	if ic["aud"] != cfg.ClientID || ic["sub"] != sub || ic["iss"] != s.Issuer() || ic["email"] != "user@example.com" {
		t.Errorf("id token claims %v", ic)
	}
}

func TestTokenSuccessWithoutOpenID(t *testing.T) {
	s := newServer(t, auth0test.Config{TokenTTL: 5 * time.Minute, Audience: "https://my.api"})
	s.AddUser("user@example.com", goodPass)
	f := tokenForm(s, "user@example.com", goodPass)
	f.Del("audience") // the tenant's default audience applies
	a := postToken(t, s, f, nil)
	m := a.decode(t)
	if a.status != 200 || m["expires_in"] != 300.0 || len(m) != 3 {
		t.Fatalf("want only access_token, token_type, expires_in: %d %s", a.status, a.body)
	}
	_, keys := fetchJWKS(t, s)
	_, c := verify(t, m["access_token"].(string), keys)
	if c["aud"] != "https://my.api" || c["exp"].(float64)-c["iat"].(float64) != 300 || c["scope"] != nil {
		t.Errorf("claims %v", c)
	}
}

func TestPasswordGrantWithRealm(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	s.AddUser("user@example.com", goodPass)
	f := tokenForm(s, "user@example.com", goodPass)
	f.Set("grant_type", "password")
	if a := postToken(t, s, f, nil); a.status != 200 {
		t.Errorf("%d %s", a.status, a.body)
	}
}

func TestTokenAcceptsJSON(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	s.AddUser("user@example.com", goodPass)
	body := map[string]string{}
	for k, v := range tokenForm(s, "user@example.com", goodPass) {
		body[k] = v[0]
	}
	b, _ := json.Marshal(body)
	if a := mustDo(t, "POST", s.URL+"/oauth/token", "application/json", string(b), nil); a.status != 200 {
		t.Errorf("%d %s", a.status, a.body)
	}
}

func TestTokenUserStates(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	s.BlockUser("blocked@example.com") // before the user exists
	s.AddUser("blocked@example.com", goodPass)
	s.AddUser("mfa@example.com", goodPass)
	s.RequireMFA("MFA@example.com")
	s.AddUser("leaked@example.com", "Leaked-Pa55")
	s.LeakPassword("Leaked-Pa55")

	postToken(t, s, tokenForm(s, "blocked@example.com", goodPass), nil).is(t, 401,
		`{"error":"unauthorized","error_description":"user is blocked"}`)
	// The state is only revealed to someone who knows the password.
	postToken(t, s, tokenForm(s, "blocked@example.com", "wrong"), nil).is(t, 403,
		`{"error":"invalid_grant","error_description":"Wrong email or password."}`)
	postToken(t, s, tokenForm(s, "leaked@example.com", "Leaked-Pa55"), nil).is(t, 401,
		`{"error":"password_leaked","error_description":"This login attempt has been blocked because the password you're using was previously disclosed through a data breach (not in this application). Please check your email for more information."}`)

	a := postToken(t, s, tokenForm(s, "mfa@example.com", goodPass), nil)
	m := a.decode(t)
	token, _ := m["mfa_token"].(string)
	if token == "" {
		t.Fatalf("no mfa_token: %s", a.body)
	}
	a.is(t, 403, fmt.Sprintf(`{"error":"mfa_required","error_description":"Multifactor authentication required","mfa_token":%q,"mfa_requirements":{"challenge":[{"type":"otp"}]}}`, token))
}

func TestSetClientSecret(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	s.AddUser("user@example.com", goodPass)
	old := tokenForm(s, "user@example.com", goodPass)
	s.SetClientSecret("rotated")
	postToken(t, s, old, nil).is(t, 401, `{"error":"access_denied","error_description":"Unauthorized"}`)
	if s.Config().ClientSecret != "rotated" {
		t.Errorf("Config().ClientSecret = %q", s.Config().ClientSecret)
	}
	if a := postToken(t, s, tokenForm(s, "user@example.com", goodPass), nil); a.status != 200 {
		t.Errorf("new secret: %d %s", a.status, a.body)
	}
}

// --- brute force ---

const tooManyAttempts = `{"error":"too_many_attempts","error_description":"Your account has been blocked after multiple consecutive login attempts. We've sent you a notification via your preferred contact method with instructions on how to unblock it."}`

func TestBruteForceThresholdPerUserAndForwardedIP(t *testing.T) {
	s := newServer(t, auth0test.Config{MaxFailedLogins: 3})
	s.AddUser("victim@example.com", goodPass)
	s.AddUser("other@example.com", goodPass)
	attacker := fromIP("203.0.113.7")
	for i := range 3 {
		if a := postToken(t, s, tokenForm(s, "victim@example.com", "guess"+strconv.Itoa(i)), attacker); a.status != 403 {
			t.Fatalf("failure %d: %d %s", i+1, a.status, a.body)
		}
	}
	// Blocked now, even with the right password, and it stays so.
	for range 2 {
		postToken(t, s, tokenForm(s, "Victim@example.com", goodPass), attacker).is(t, 429, tooManyAttempts)
	}
	// Other IPs, the TCP peer without the header, and other users are not.
	for name, c := range map[string]struct {
		user   string
		header http.Header
	}{
		"other ip":   {"victim@example.com", fromIP("203.0.113.8")},
		"tcp peer":   {"victim@example.com", nil},
		"other user": {"other@example.com", attacker},
	} {
		if a := postToken(t, s, tokenForm(s, c.user, goodPass), c.header); a.status != 200 {
			t.Errorf("%s: %d %s", name, a.status, a.body)
		}
	}
}

func TestBruteForceKeysOnTCPPeerWithoutHeader(t *testing.T) {
	s := newServer(t, auth0test.Config{MaxFailedLogins: 2})
	s.AddUser("u@example.com", goodPass)
	for range 2 {
		postToken(t, s, tokenForm(s, "u@example.com", "bad"), nil)
	}
	postToken(t, s, tokenForm(s, "u@example.com", goodPass), nil).is(t, 429, tooManyAttempts)
	// A forwarded end-user IP is a different pair.
	if a := postToken(t, s, tokenForm(s, "u@example.com", goodPass), fromIP("198.51.100.1")); a.status != 200 {
		t.Errorf("%d %s", a.status, a.body)
	}
}

func TestBruteForceSuccessResetsCounter(t *testing.T) {
	s := newServer(t, auth0test.Config{MaxFailedLogins: 3})
	s.AddUser("u@example.com", goodPass)
	ip := fromIP("192.0.2.1")
	for round := range 3 {
		for range 2 {
			postToken(t, s, tokenForm(s, "u@example.com", "bad"), ip)
		}
		if a := postToken(t, s, tokenForm(s, "u@example.com", goodPass), ip); a.status != 200 {
			t.Fatalf("round %d: %d %s", round, a.status, a.body)
		}
	}
}

func TestBruteForceCountsUnknownUsers(t *testing.T) {
	s := newServer(t, auth0test.Config{MaxFailedLogins: 1})
	postToken(t, s, tokenForm(s, "ghost@example.com", "x"), nil)
	postToken(t, s, tokenForm(s, "ghost@example.com", "x"), nil).is(t, 429, tooManyAttempts)
}

// --- rate limit ---

func TestRateLimit(t *testing.T) {
	s := newServer(t, auth0test.Config{RateLimit: 2})
	// Start just after a second boundary so the three requests share a window.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 10*time.Millisecond)))
	second := time.Now().Unix()
	var got []answer
	for range 3 {
		got = append(got, postToken(t, s, tokenForm(s, "nobody@example.com", "x"), fromIP(fmt.Sprint("192.0.2.", len(got)))))
	}
	for i, a := range got {
		h := a.header
		if h.Get("X-RateLimit-Limit") != "2" || h.Get("X-RateLimit-Remaining") != strconv.Itoa(max(1-i, 0)) ||
			h.Get("X-RateLimit-Reset") != strconv.FormatInt(second+1, 10) {
			t.Errorf("request %d headers: limit %q remaining %q reset %q (second %d)", i, h.Get("X-RateLimit-Limit"),
				h.Get("X-RateLimit-Remaining"), h.Get("X-RateLimit-Reset"), second)
		}
	}
	if got[0].status != 403 || got[1].status != 403 {
		t.Errorf("under the limit: %d %d", got[0].status, got[1].status)
	}
	got[2].is(t, 429, `{"error":"too_many_requests","error_description":"Too many requests. Check the X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset headers."}`)

	// Each endpoint has its own budget; the JWKS has none.
	if a := signup(t, s, "rl@example.com", goodPass); a.status != 200 || a.header.Get("X-RateLimit-Remaining") != "1" {
		t.Errorf("signup: %d remaining %q", a.status, a.header.Get("X-RateLimit-Remaining"))
	}
	if a := mustDo(t, "GET", s.JWKSURL(), "", "", nil); a.header.Get("X-RateLimit-Limit") != "" {
		t.Error("JWKS is rate limited")
	}
}

func TestNoRateLimitHeadersByDefault(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	for i := range 50 { // distinct users: brute-force protection stays out of it
		if a := postToken(t, s, tokenForm(s, fmt.Sprintf("x%d@example.com", i), "x"), nil); a.header.Get("X-RateLimit-Limit") != "" || a.status != 403 {
			t.Fatalf("%d %v", a.status, a.header)
		}
	}
}

// --- keys ---

func TestJWKSServesPublicKey(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	kids, keys := fetchJWKS(t, s)
	if len(kids) != 1 || !keys[kids[0]].Equal(s.PublicKey()) || s.PublicKey().N.BitLen() != 2048 {
		t.Fatalf("JWKS %v does not hold the 2048-bit PublicKey()", kids)
	}
	// The first key is shared by every server in the process.
	if !newServer(t, auth0test.Config{}).PublicKey().Equal(s.PublicKey()) {
		t.Error("second server has a different first key")
	}
}

func TestRotateSigningKey(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	s.AddUser("u@example.com", goodPass)
	login := func() string {
		a := postToken(t, s, tokenForm(s, "u@example.com", goodPass), nil)
		return a.decode(t)["access_token"].(string)
	}
	kids, _ := fetchJWKS(t, s)
	k1, before := kids[0], login()

	k2 := s.RotateSigningKey()
	kids, keys := fetchJWKS(t, s)
	if k2 == k1 || !reflect.DeepEqual(kids, []string{k2, k1}) || !keys[k2].Equal(s.PublicKey()) {
		t.Fatalf("after rotation JWKS kids = %v, want [%s %s]", kids, k2, k1)
	}
	verify(t, before, keys) // old tokens still verify
	if h, _ := verify(t, login(), keys); h["kid"] != k2 {
		t.Errorf("new token kid %v, want %s", h["kid"], k2)
	}

	k3 := s.RotateSigningKey()
	if kids, _ = fetchJWKS(t, s); !reflect.DeepEqual(kids, []string{k3, k2}) {
		t.Errorf("after second rotation kids = %v, want [%s %s]", kids, k3, k2)
	}
	// Rotation is per server; the shared first key is untouched.
	other := newServer(t, auth0test.Config{})
	if kids, _ := fetchJWKS(t, other); !reflect.DeepEqual(kids, []string{k1}) {
		t.Errorf("other server kids = %v", kids)
	}
}

func TestSignToken(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	_, keys := fetchJWKS(t, s)
	tok := s.SignToken(map[string]any{"typ": nil, "x": "y"}, map[string]any{"sub": "auth0|1", "n": 1})
	h, c := verify(t, tok, keys)
	kids, _ := fetchJWKS(t, s)
	if !reflect.DeepEqual(h, map[string]any{"alg": "RS256", "kid": kids[0], "x": "y"}) ||
		!reflect.DeepEqual(c, map[string]any{"sub": "auth0|1", "n": 1.0}) {
		t.Errorf("header %v claims %v", h, c)
	}
	// A forged header still carries a valid signature.
	forged := s.SignToken(map[string]any{"alg": "none", "kid": "unknown"}, nil)
	parts := strings.Split(forged, ".")
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(s.PublicKey(), crypto.SHA256, sum[:], sig); err != nil {
		t.Error(err)
	}
}

// --- faults ---

func TestFaultAnswerTimesAndReplace(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	s.AddUser("u@example.com", goodPass)
	form := tokenForm(s, "u@example.com", goodPass)
	s.Fault("/oauth/token", auth0test.Fault{Status: 502, Body: `{"error":"x"}`, Header: http.Header{"X-Test": {"1"}}, Times: 2})
	for i := range 2 {
		a := postToken(t, s, form, nil)
		if a.status != 502 || string(a.body) != `{"error":"x"}` || a.header.Get("X-Test") != "1" ||
			a.header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Errorf("faulted %d: %d %v %s", i, a.status, a.header, a.body)
		}
	}
	if a := postToken(t, s, form, nil); a.status != 200 {
		t.Errorf("after Times: %d %s", a.status, a.body)
	}

	// Every request, other paths untouched, replaced, then cleared.
	s.Fault("/oauth/token", auth0test.Fault{Status: 500, Body: "boom", Header: http.Header{"Content-Type": {"text/html"}}})
	for range 3 {
		if a := postToken(t, s, form, nil); a.status != 500 || a.header.Get("Content-Type") != "text/html" || string(a.body) != "boom" {
			t.Errorf("%d %q %s", a.status, a.header.Get("Content-Type"), a.body)
		}
	}
	if a := signup(t, s, "new@example.com", goodPass); a.status != 200 {
		t.Errorf("signup hit by token fault: %d", a.status)
	}
	s.Fault("/oauth/token", auth0test.Fault{Status: 503})
	if a := postToken(t, s, form, nil); a.status != 503 {
		t.Errorf("replaced fault: %d", a.status)
	}
	s.ClearFaults()
	if a := postToken(t, s, form, nil); a.status != 200 {
		t.Errorf("after ClearFaults: %d", a.status)
	}
}

func TestFaultDrop(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	s.Fault("/dbconnections/signup", auth0test.Fault{Drop: true, Times: 1})
	b, _ := json.Marshal(signupBody(s, "d@example.com", goodPass))
	_, err := do(t, nil, "POST", s.URL+"/dbconnections/signup", "application/json", string(b), nil)
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Fatalf("want a dropped connection, got %v", err)
	}
	if n := len(s.Requests()); n != 1 {
		t.Errorf("dropped request not logged: %d", n)
	}
	if a := signup(t, s, "d@example.com", goodPass); a.status != 200 {
		t.Errorf("after Times: %d", a.status)
	}
}

func TestFaultHangUntilClientTimeout(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	s.Fault("/oauth/token", auth0test.Fault{Hang: true})
	c := &http.Client{Timeout: 200 * time.Millisecond}
	start := time.Now()
	_, err := do(t, c, "POST", s.URL+"/oauth/token", "application/x-www-form-urlencoded", "", nil)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("want a client timeout, got %v", err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("answered after %v", d)
	}
	assertClosesQuickly(t, s)
}

func TestFaultHangReleasedByClose(t *testing.T) {
	s := auth0test.NewServer(auth0test.Config{})
	s.Fault("/oauth/token", auth0test.Fault{Hang: true})
	errc := make(chan error, 1)
	go func() {
		_, err := do(t, nil, "POST", s.URL+"/oauth/token", "application/x-www-form-urlencoded", "", nil)
		errc <- err
	}()
	waitForRequests(t, s, 1)
	assertClosesQuickly(t, s)
	select {
	case err := <-errc:
		if err == nil {
			t.Error("hanging request got an answer")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("client still waiting after Close")
	}
}

func TestFaultDelay(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	s.AddUser("u@example.com", goodPass)
	const delay = 150 * time.Millisecond
	s.Fault("/oauth/token", auth0test.Fault{Delay: delay, Header: http.Header{"X-Slow": {"yes"}}, Times: 1})
	start := time.Now()
	a := postToken(t, s, tokenForm(s, "u@example.com", goodPass), nil)
	if d := time.Since(start); d < delay || a.status != 200 || a.header.Get("X-Slow") != "yes" {
		t.Errorf("after %v: %d %v", d, a.status, a.header)
	}

	// A delayed error answer, and a client that gives up first.
	s.Fault("/oauth/token", auth0test.Fault{Delay: delay, Status: 504})
	if a := postToken(t, s, url.Values{}, nil); a.status != 504 {
		t.Errorf("delayed status: %d", a.status)
	}
	s.Fault("/oauth/token", auth0test.Fault{Delay: time.Hour, Status: 504})
	c := &http.Client{Timeout: 100 * time.Millisecond}
	if _, err := do(t, c, "POST", s.URL+"/oauth/token", "", "", nil); err == nil {
		t.Error("hour-long delay answered")
	}
	assertClosesQuickly(t, s)
}

func waitForRequests(t *testing.T, s *auth0test.Server, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); len(s.Requests()) < n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d requests arrived", len(s.Requests()))
		}
	}
}

func assertClosesQuickly(t *testing.T, s *auth0test.Server) {
	t.Helper()
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close is stuck on a faulted handler")
	}
}

// --- request log ---

func TestRequestsLog(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	signup(t, s, "log@example.com", goodPass)
	postToken(t, s, tokenForm(s, "log@example.com", goodPass), fromIP("192.0.2.9"))
	mustDo(t, "GET", s.JWKSURL(), "", "", nil)

	reqs := s.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	sig, tok, jwks := reqs[0], reqs[1], reqs[2]
	if sig.Method != "POST" || sig.Path != "/dbconnections/signup" || sig.JSON["email"] != "log@example.com" || sig.Form != nil {
		t.Errorf("signup: %+v", sig)
	}
	if tok.Path != "/oauth/token" || tok.Form.Get("username") != "log@example.com" || tok.JSON != nil ||
		tok.Header.Get("Auth0-Forwarded-For") != "192.0.2.9" || !strings.HasPrefix(tok.RemoteAddr, "127.0.0.1:") {
		t.Errorf("token: %+v", tok)
	}
	if jwks.Method != "GET" || jwks.Path != "/.well-known/jwks.json" {
		t.Errorf("jwks: %+v", jwks)
	}
	if sig.At.IsZero() || tok.At.Before(sig.At) || jwks.At.Before(tok.At) {
		t.Errorf("times out of order: %v %v %v", sig.At, tok.At, jwks.At)
	}
	s.ResetRequests()
	if n := len(s.Requests()); n != 0 {
		t.Errorf("after reset: %d", n)
	}
}

func TestRequestsRedactCredentials(t *testing.T) {
	s := newServer(t, auth0test.Config{})
	signup(t, s, "log@example.com", goodPass)
	postToken(t, s, tokenForm(s, "log@example.com", goodPass), nil)
	mustDo(t, "GET", s.URL+"/mfa/authenticators", "", "", http.Header{"Authorization": {"Bearer mfa-secret"}})
	reqs := s.Requests()
	sig, tok, mfa := reqs[0], reqs[1], reqs[2]
	secret := s.Config().ClientSecret
	red := auth0test.Redacted
	if sig.JSON["password"] != red(goodPass) || sig.JSON["email"] != "log@example.com" {
		t.Errorf("signup: %v", sig.JSON)
	}
	if tok.Form.Get("password") != red(goodPass) || tok.Form.Get("client_secret") != red(secret) ||
		tok.Form.Get("username") != "log@example.com" || tok.Form.Get("grant_type") != realmGrant {
		t.Errorf("token: %v", tok.Form)
	}
	if mfa.Header.Get("Authorization") != red("Bearer mfa-secret") {
		t.Errorf("Authorization header kept: %q", mfa.Header.Get("Authorization"))
	}
	all := fmt.Sprintf("%+v", reqs)
	for _, leak := range []string{goodPass, secret, "mfa-secret"} {
		if strings.Contains(all, leak) {
			t.Errorf("the request log holds %q", leak)
		}
	}
	if !regexp.MustCompile(`^redacted:[0-9a-f]{16}$`).MatchString(red("x")) || red("x") == red("y") || red("") != "" {
		t.Errorf("Redacted: %q %q %q", red("x"), red("y"), red(""))
	}
}

func TestMaxRequests(t *testing.T) {
	s := newServer(t, auth0test.Config{MaxRequests: 2})
	for _, p := range []string{"/a", "/b", "/c"} {
		mustDo(t, "GET", s.URL+p, "", "", nil)
	}
	reqs := s.Requests()
	if len(reqs) != 2 || reqs[0].Path != "/b" || reqs[1].Path != "/c" {
		t.Errorf("kept %v", reqs)
	}
	none := newServer(t, auth0test.Config{MaxRequests: -1})
	mustDo(t, "GET", none.URL+"/a", "", "", nil)
	if n := len(none.Requests()); n != 0 {
		t.Errorf("MaxRequests -1 kept %d", n)
	}
}

func TestLogf(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	s := newServer(t, auth0test.Config{Logf: func(f string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, fmt.Sprintf(f, args...))
	}})
	postToken(t, s, tokenForm(s, "x@example.com", "s3cret-guess"), nil)
	mu.Lock()
	defer mu.Unlock()
	if len(lines) != 1 || lines[0] != "auth0test: POST /oauth/token -> 403 invalid_grant" {
		t.Errorf("lines = %q", lines)
	}
}

// --- concurrency ---

func TestConcurrentUse(t *testing.T) {
	s := newServer(t, auth0test.Config{MaxFailedLogins: 3, RateLimit: 1000})
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			email := fmt.Sprintf("c%d@example.com", i)
			if a := signup(t, s, email, goodPass); a.status != 200 {
				t.Errorf("signup %d: %d %s", i, a.status, a.body)
			}
			postToken(t, s, tokenForm(s, email, "bad"), fromIP("192.0.2.1"))
			if a := postToken(t, s, tokenForm(s, email, goodPass), fromIP("192.0.2.1")); a.status != 200 {
				t.Errorf("token %d: %d %s", i, a.status, a.body)
			}
			s.Fault("/nowhere", auth0test.Fault{Status: 500})
			s.ClearFaults()
			s.UserID(email)
			s.Requests()
			s.Config()
			// Refresh, reset, MFA and Management state.
			f := tokenForm(s, email, goodPass)
			f.Set("scope", "offline_access")
			rt := postToken(t, s, f, fromIP("192.0.2.1")).ok(t).RefreshToken
			refresh(t, s, rt).ok(t)
			changePassword(t, s, email)
			s.EnrollOTP(email)
			s.SetMFA(email, false)
			s.Messages()
			s.RefreshTokens(email)
			mgmt(t, s, "GET", "users/x", m2mToken(t, s, s.ManagementAudience(), "").ok(t).AccessToken, nil)
		})
	}
	wg.Wait()
	if n := len(s.Requests()); n != 16*8 {
		t.Errorf("%d requests logged, want %d", n, 16*8)
	}
}
