package contracttest

import "testing"

func TestValidateCatchesDrift(t *testing.T) {
	s := Load(t)
	ok := []struct {
		method, path string
		status       int
		headers      map[string]string
		body         string
	}{
		{"POST", "/signup", 201, nil, `{"message":"User Created","user_id":"auth0|1"}`},
		{"POST", "/token", 200, map[string]string{"Cache-Control": "no-store"}, `{"data":"a.b.c","token_type":"Bearer","expires_in":60}`},
		{"POST", "/token", 401, nil, `{"error":"Unauthorized","code":"invalid_credentials","message":"Wrong email or password."}`},
	}
	for _, c := range ok {
		if err := s.Validate(c.method, c.path, c.status, c.headers, c.body); err != nil {
			t.Errorf("%s %s %d: %v", c.method, c.path, c.status, err)
		}
	}
	bad := []struct {
		name, method, path string
		status             int
		body               string
	}{
		{"undeclared status", "POST", "/signup", 418, `{}`},
		{"code not allowed for status", "POST", "/token", 401, `{"error":"Unauthorized","code":"weak_password","message":"x"}`},
		{"missing required field", "POST", "/signup", 201, `{"message":"User Created"}`},
		{"wrong type", "POST", "/token", 200, `{"data":"a","token_type":"Bearer","expires_in":"60"}`},
		{"not json", "POST", "/token", 401, `nope`},
		{"unknown path", "POST", "/nope", 200, `{}`},
	}
	for _, c := range bad {
		if err := s.Validate(c.method, c.path, c.status, map[string]string{"Cache-Control": "no-store"}, c.body); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}
