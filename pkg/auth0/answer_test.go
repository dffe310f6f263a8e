package auth0

import (
	"encoding/json"
	"net/url"
	"reflect"
	"testing"
)

// The hand-written encoders and decoders of the request path must give
// exactly what encoding/json and net/url give.

var answerSeeds = []string{
	`{"access_token":"eyJ.a.b","id_token":"eyJ.c.d","scope":"openid","expires_in":86400,"token_type":"Bearer"}`,
	`{"access_token":"at","token_type":"Bearer","expires_in":86400,"refresh_token":"rt"}`,
	`{"_id":"668fbaab724b1bf53b436691","email_verified":false,"email":"a@b.co"}`,
	`{"id":"auth0|abc","email":"a@b.co","email_verified":true,"extra":[1,{"x":null}]}`,
	`{"Access_Token":"x","EXPIRES_IN":5}`, `{"acceſs_token":"x"}`, `{"expires_in":1.5}`, `{"expires_in":1e3}`,
	`{"expires_in":99999999999999999999}`, `{"expires_in":"5"}`, `{"expires_in":null,"scope":null}`,
	`{"access_token":"a","access_token":"b"}`, `{"access_token":"a\u0062"}`, `{"email_verified":"yes"}`,
	`{"_id":7}`, `{"access_token":"x"} trailing`, `[]`, `null`, ``, `{"a":1,}`,
}

func FuzzAnswerDecode(f *testing.F) {
	for _, s := range answerSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkAnswerDecode(t, data) })
}

func TestAnswerDecodeAgreesWithUnmarshal(t *testing.T) {
	for _, s := range answerSeeds {
		checkAnswerDecode(t, []byte(s))
	}
}

func checkAnswerDecode(t *testing.T, data []byte) {
	t.Helper()
	var tok, wantTok Token
	okTok, errTok := tok.decode(data), json.Unmarshal(data, &wantTok)
	if okTok != (errTok == nil) || (okTok && tok != wantTok) {
		t.Fatalf("token answer %q: decode = %+v, %v; json.Unmarshal = %+v, %v", data, tok, okTok, wantTok, errTok)
	}
	var a, wantA signupAnswer
	okA, errA := a.decode(data), json.Unmarshal(data, &wantA)
	if okA != (errA == nil) || (okA && a != wantA) {
		t.Fatalf("signup answer %q: decode = %+v, %v; json.Unmarshal = %+v, %v", data, a, okA, wantA, errA)
	}
}

func FuzzRequestBodies(f *testing.F) {
	f.Add("a@b.co", "Correct-Horse-42", "s3cret", "cid", "Username-Password-Authentication", "https://api.example.com/", "openid")
	f.Add("<&>\"\\\u2028 ü\xff", "pass word+%&=?#/", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, email, password, secret, clientID, connection, audience, scope string) {
		c := NewClient(Config{BaseURL: "https://x.example", ClientID: clientID, Audience: audience, Connection: connection, Scope: scope}, nil)
		checkRequestBodies(t, c, email, password, secret)
	})
}

func TestRequestBodiesAgreeWithEncodingJSONAndURL(t *testing.T) {
	c := NewClient(Config{BaseURL: "https://x.example", ClientID: "c<i>d", Audience: "https://api/ x", Connection: "db&1", Scope: "openid profile"}, nil)
	for _, s := range []string{"", "a@b.co", "Correct Horse+42/%", "<\u2028\xfe\"\\>", "~-._ü"} {
		checkRequestBodies(t, c, s, s+"!", "s"+s)
	}
}

func checkRequestBodies(t *testing.T, c *Client, email, password, secret string) {
	t.Helper()
	want, err := json.Marshal(struct {
		ClientID   string `json:"client_id"`
		Email      string `json:"email"`
		Password   string `json:"password"`
		Connection string `json:"connection"`
	}{c.cfg.ClientID, email, password, c.cfg.Connection})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.signupJSON(email, password); string(got) != string(want) {
		t.Fatalf("signup body\n got %s\nwant %s", got, want)
	}
	wantForm := url.Values{
		"grant_type": {PasswordRealmGrant}, "realm": {c.cfg.Connection}, "client_id": {c.cfg.ClientID},
		"client_secret": {secret}, "audience": {c.cfg.Audience}, "username": {email}, "password": {password},
		"scope": {c.cfg.Scope},
	}
	got := c.tokenFormFor(TokenRequest{Username: email, Password: password, ClientSecret: secret})
	if string(got) != wantForm.Encode() {
		t.Fatalf("token form\n got %s\nwant %s", got, wantForm.Encode())
	}
	if parsed, err := url.ParseQuery(string(got)); err != nil || !reflect.DeepEqual(parsed, wantForm) {
		t.Fatalf("token form %s parses to %v (%v)", got, parsed, err)
	}
}
