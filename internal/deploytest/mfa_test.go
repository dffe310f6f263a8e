package deploytest

import (
	"io"
	"strings"
	"testing"

	"github.com/auth0-sam-go/authapi/internal/api"
)

// TestMFARoutesGoToTheTokenFunction: every route api.MFARoutes serves is an
// HttpApi event of the token function (it holds the client secret), as ANY
// so the function answers 405 itself, and without the JWT authorizer (the
// mfa_token is not a JWT the authorizer could check). No other function
// claims them.
func TestMFARoutesGoToTheTokenFunction(t *testing.T) {
	tpl := loadTemplate(t)
	owner := map[string]string{} // path -> function
	for _, fn := range tpl.resourcesOfType("AWS::Serverless::Function") {
		events, _ := props(tpl.resource(fn))["Events"].(map[string]any)
		for name, e := range events {
			e := e.(map[string]any)
			p := props(e)
			if e["Type"] != "HttpApi" {
				continue
			}
			path, _ := p["Path"].(string)
			owner[path] = fn
			if fn != "TokenFunction" {
				continue
			}
			auth, _ := p["Auth"].(map[string]any)
			if strings.HasPrefix(path, "/mfa/") && (p["Method"] != "ANY" || auth["Authorizer"] != "NONE") {
				t.Errorf("%s (%s): method %v, authorizer %v; want ANY and NONE", name, path, p["Method"], auth["Authorizer"])
			}
		}
	}
	for _, r := range api.MFARoutes(nil, nil, true, api.NewLogger(io.Discard)) {
		if owner[r.Path] != "TokenFunction" {
			t.Errorf("%s %s is routed to %q, want TokenFunction", r.Method, r.Path, owner[r.Path])
		}
	}
}

// TestMfaEnrollmentParameter: the stack parameter reaches the token
// function as the variable it reads, with only values it accepts.
func TestMfaEnrollmentParameter(t *testing.T) {
	tpl := loadTemplate(t)
	p, _ := tpl.section("Parameters")["MfaEnrollment"].(map[string]any)
	if p == nil || p["Default"] != "enabled" {
		t.Fatalf("MfaEnrollment: %v, want Default enabled", p)
	}
	allowed, _ := p["AllowedValues"].([]any)
	if len(allowed) != 2 {
		t.Fatalf("AllowedValues %v", allowed)
	}
	for _, v := range allowed {
		v := v.(string)
		on, err := api.MFAEnrollmentEnabled(func(string) string { return v })
		if err != nil || on != (v == "enabled") {
			t.Errorf("%q: the function reads %v, %v", v, on, err)
		}
	}
	env, _ := props(tpl.resource("TokenFunction"))["Environment"].(map[string]any)
	vars, _ := env["Variables"].(map[string]any)
	if refTo(vars[api.EnvMFAEnrollment]) != "MfaEnrollment" {
		t.Errorf("TokenFunction %s = %v, want !Ref MfaEnrollment", api.EnvMFAEnrollment, vars[api.EnvMFAEnrollment])
	}
}
