package deploytest

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// transformed is template.yaml after the SAM transform, as CloudFormation
// receives it.
func transformed(t *testing.T) map[string]struct {
	Type       string
	Properties map[string]any
} {
	t.Helper()
	out, err := exec.Command("python3", filepath.Join("testdata", "sam_transform.py"), filepath.Join(root, "template.yaml")).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("SAM transform: %v\n%s", err, stderr)
	}
	var cfn struct {
		Resources map[string]struct {
			Type       string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(out, &cfn); err != nil {
		t.Fatal(err)
	}
	return cfn.Resources
}

// Each public route is ANY /path on the function that holds its
// credentials, without the authorizer; /password/reset has its own lower
// throttle on the stage.
func TestPublicRoutesAndTheirFunctions(t *testing.T) {
	res := transformed(t)
	body, _ := res["HttpApi"].Properties["Body"].(map[string]any)
	paths, _ := body["paths"].(map[string]any)
	for path, fn := range map[string]string{"/signup": "SignupFunction", "/password/reset": "SignupFunction",
		"/token": "TokenFunction", "/logout": "TokenFunction"} {
		op, _ := paths[path].(map[string]any)["x-amazon-apigateway-any-method"].(map[string]any)
		if op == nil {
			t.Errorf("%s: no ANY route", path)
			continue
		}
		integration, _ := json.Marshal(op["x-amazon-apigateway-integration"])
		security, _ := json.Marshal(op["security"])
		if !strings.Contains(string(integration), "${"+fn+".Arn}") || string(security) != `[{"NONE":[]}]` {
			t.Errorf("%s: integration %s, security %s; want %s without authorizer", path, integration, security, fn)
		}
	}

	var stage map[string]any
	for _, r := range res {
		if r.Type == "AWS::ApiGatewayV2::Stage" {
			stage = r.Properties
		}
	}
	got, _ := json.Marshal(stage["RouteSettings"])
	// The routes that make Auth0 send email or SMS have their own, lower limits.
	mfa := `{"ThrottlingBurstLimit":{"Ref":"MfaThrottlingBurstLimit"},"ThrottlingRateLimit":{"Ref":"MfaThrottlingRateLimit"}}`
	want := `{"ANY /mfa/challenge":` + mfa + `,"ANY /mfa/enroll":` + mfa +
		`,"ANY /password/reset":{"ThrottlingBurstLimit":{"Ref":"PasswordResetThrottlingBurstLimit"},"ThrottlingRateLimit":{"Ref":"PasswordResetThrottlingRateLimit"}}}`
	if string(got) != want {
		t.Fatalf("stage RouteSettings %s, want %s", got, want)
	}
	params := loadTemplate(t).section("Parameters")
	for name, limit := range map[string]string{"PasswordResetThrottlingRateLimit": "ThrottlingRateLimit", "PasswordResetThrottlingBurstLimit": "ThrottlingBurstLimit",
		"MfaThrottlingRateLimit": "ThrottlingRateLimit", "MfaThrottlingBurstLimit": "ThrottlingBurstLimit"} {
		own, _ := number(params[name].(map[string]any)["Default"])
		all, _ := number(params[limit].(map[string]any)["Default"])
		if own <= 0 || own >= all {
			t.Errorf("%s default %v is not below %s's %v", name, own, limit, all)
		}
	}
}

// The allowed browser origins are one list: the template's default, the
// one samconfig.toml deploys, and make dev's DefaultCorsOrigins.
func TestOneListOfCorsOrigins(t *testing.T) {
	dev := devCorsOrigins(t)
	param := loadTemplate(t).section("Parameters")["CorsAllowedOrigins"].(map[string]any)
	if param["Type"] != "CommaDelimitedList" || param["Default"] != dev {
		t.Errorf("CorsAllowedOrigins %v default %q, want %q", param["Type"], param["Default"], dev)
	}
	if got := samconfigOverrides(t)["CorsAllowedOrigins"]; got != dev {
		t.Errorf("samconfig.toml CorsAllowedOrigins %q, want %q", got, dev)
	}
	for _, o := range []string{"http://127.0.0.1:3001", "http://localhost:3001", "http://localhost:3000",
		"http://localhost:5173", "http://localhost:8080", "http://127.0.0.1:5173"} {
		if !slices.Contains(strings.Split(dev, ","), o) {
			t.Errorf("DefaultCorsOrigins lacks %s", o)
		}
	}

	cors := props(loadTemplate(t).resource("HttpApi"))["CorsConfiguration"].(map[string]any)
	headers, _ := json.Marshal(cors["AllowHeaders"])
	if string(headers) != `["content-type","authorization"]` || cors["AllowCredentials"] != nil {
		t.Errorf("CorsConfiguration %v", cors)
	}
}

// devCorsOrigins reads the DefaultCorsOrigins constant of cmd/dev.
func devCorsOrigins(t *testing.T) string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, "cmd", "dev", "cors.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var value string
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok || len(spec.Names) != 1 || spec.Names[0].Name != "DefaultCorsOrigins" {
			return true
		}
		var concat func(e ast.Expr) string
		concat = func(e ast.Expr) string {
			switch e := e.(type) {
			case *ast.BasicLit:
				s, err := strconv.Unquote(e.Value)
				if err != nil {
					t.Fatal(err)
				}
				return s
			case *ast.BinaryExpr:
				return concat(e.X) + concat(e.Y)
			}
			t.Fatalf("DefaultCorsOrigins is not a string constant")
			return ""
		}
		value = concat(spec.Values[0])
		return false
	})
	if value == "" {
		t.Fatal("cmd/dev/cors.go has no DefaultCorsOrigins")
	}
	return value
}
