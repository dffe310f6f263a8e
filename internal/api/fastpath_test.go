package api

import (
	"encoding/json"
	"testing"
)

// The reflection-free paths (plainCredentials, appendJSON) must give what
// the encoding/json ones give.

var plainCredentialSeeds = []string{
	`{"email":"jane@example.com","password":"Correct-Horse-42"}`,
	" {\"password\" : \"pw\" ,\n\"email\":\"a@b.co\", \"extra\": [1, {\"x\": null}] } ",
	`{"email":"a@b.co","password":"p","n":-1.5e3,"t":true,"z":null}`, `{"email":"a@b.co"}`,
	`{"email":"a@b.co","password":"p","email":"c@d.co"}`, `{"email":"a\u0040b.co","password":"p"}`,
	`{"email":1,"password":"p"}`, `{"Email":"a@b.co","password":"p","email":"c@d.co"}`, `{"email":"a@b.co","password":"p"} x`,
	`{"email":"jäne@exämple.com","password":"pässwörd"}`,
}

func FuzzPlainCredentials(f *testing.F) {
	for _, s := range plainCredentialSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkPlainCredentials(t, body) })
}

func TestPlainCredentialsAgreeWithTheWalker(t *testing.T) {
	for _, s := range plainCredentialSeeds {
		checkPlainCredentials(t, []byte(s))
	}
}

// checkPlainCredentials: whatever the fast path accepts, the strict walker
// accepts too, with the same values.
func checkPlainCredentials(t *testing.T, body []byte) {
	t.Helper()
	got, ok := plainCredentials(body)
	if !ok {
		return
	}
	want, err := walkCredentials(body)
	if err != nil || got != want {
		t.Fatalf("%q: fast path read %+v, the walker %+v, %v", body, got, want, err)
	}
}

func FuzzResponseBodies(f *testing.F) {
	f.Add("Bad Request", "invalid_request", `email: must be "valid" <&>`, 86400)
	f.Add("\u2028\xff\x00", "", "héllo", -1)
	f.Fuzz(func(t *testing.T, a, b, c string, n int) { checkResponseBodies(t, a, b, c, n) })
}

func TestResponseBodiesMatchMarshal(t *testing.T) {
	checkResponseBodies(t, "User Created", "auth0|668fbaab724b1bf53b436691", "eyJ.a.b", 86400)
	checkResponseBodies(t, "", "", "", 0)
	checkResponseBodies(t, `"\<>&`, "\t\n\u2029", "\xc3", -7)
}

func checkResponseBodies(t *testing.T, a, b, c string, n int) {
	t.Helper()
	for _, body := range []any{
		ErrorBody{Error: a, Code: b, Message: c},
		SignupBody{Message: a, UserID: b},
		TokenBody{Data: a, TokenType: b, ExpiresIn: n, RefreshToken: c},
	} {
		want, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		got, err := marshalBody(body)
		if err != nil || got != string(want) {
			t.Fatalf("%T: got %s (%v), json.Marshal %s", body, got, err, want)
		}
	}
}
