package deploytest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// samconfigOverrides reads the parameter_overrides of samconfig.toml's
// deploy section into a map.
func samconfigOverrides(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "samconfig.toml"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^parameter_overrides\s*=\s*("(?:[^"\\]|\\.)*")\s*$`).FindSubmatch(data)
	if m == nil {
		t.Fatal("samconfig.toml has no parameter_overrides line")
	}
	line, err := strconv.Unquote(string(m[1])) // TOML's basic-string escapes are Go's
	if err != nil {
		t.Fatalf("parameter_overrides: %v", err)
	}
	pair := regexp.MustCompile(`(\w+)="([^"]*)"`)
	out := map[string]string{}
	for _, p := range pair.FindAllStringSubmatch(line, -1) {
		out[p[1]] = p[2]
	}
	if rest := strings.TrimSpace(pair.ReplaceAllString(line, "")); rest != "" {
		t.Fatalf("parameter_overrides: cannot read %q", rest)
	}
	return out
}

// accepts says whether CloudFormation takes value for a String parameter:
// AllowedPattern (a Java regex that must match the whole value, written in
// the subset Go's regexp shares), MinLength and MaxLength.
func accepts(t *testing.T, name string, param map[string]any, value string) bool {
	t.Helper()
	if p, ok := param["AllowedPattern"].(string); ok {
		re, err := regexp.Compile(`^(?:` + p + `)$`)
		if err != nil {
			t.Fatalf("%s: AllowedPattern does not compile as a Go regexp: %v", name, err)
		}
		if !re.MatchString(value) {
			return false
		}
	}
	if n, ok := number(param["MinLength"]); ok && len(value) < int(n) {
		return false
	}
	if n, ok := number(param["MaxLength"]); ok && len(value) > int(n) {
		return false
	}
	return true
}

// TestPlaceholdersAreRejected: samconfig.toml ships placeholders for the
// tenant's values, and an unedited deploy must fail on every one of them
// rather than deploy a stack that answers 500 or 503.
func TestPlaceholdersAreRejected(t *testing.T) {
	tpl := loadTemplate(t)
	params := tpl.section("Parameters")
	overrides := samconfigOverrides(t)

	for name := range overrides {
		if params[name] == nil {
			t.Errorf("samconfig.toml sets %s, which template.yaml does not declare: the deploy would fail", name)
		}
	}
	for name, p := range params {
		if _, ok := p.(map[string]any)["Default"]; !ok {
			if _, ok := overrides[name]; !ok {
				t.Errorf("samconfig.toml does not set %s, which has no default", name)
			}
		}
	}

	// Realistic values each parameter must take, and near misses it must not.
	cases := map[string]struct{ good, bad []string }{
		"Auth0Domain": {
			good: []string{"dev-abc123.us.auth0.com", "login.example.com"},
			bad:  []string{"https://dev-abc123.us.auth0.com", "dev-abc123.us.auth0.com/", "Dev.Auth0.com", ""},
		},
		"Auth0Audience": {
			good: []string{"https://api.example.com", "https://api.example.com/v2/", "urn:orders-api"},
			bad:  []string{"", "https://api.example.com two", "<https://api.example.com>"},
		},
		"Auth0ClientId": {
			good: []string{"k7Qe2LrVb9XnW4pTz1HsYd6FmJc3Ua8G"},
			bad:  []string{"", "client id", "<client-id>"},
		},
		"Auth0ManagementSecretArn": {
			good: []string{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:auth0/authapi/management-Xy12Zq"},
			bad: []string{
				"auth0/authapi/management",
				"arn:aws:secretsmanager:eu-west-1:123456789012:secret:auth0/authapi/management", // no suffix
			},
		},
		"Auth0ClientSecretArn": {
			good: []string{
				"arn:aws:secretsmanager:eu-west-1:123456789012:secret:auth0/authapi/client-secret-AbC1eF",
				"arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:auth0-Xy12Zq",
			},
			bad: []string{
				"auth0/authapi/client-secret",
				"arn:aws:secretsmanager:eu-west-1:123456789012:secret:auth0/authapi/client", // no suffix
				"arn:aws:secretsmanager:eu-west-1:1234:secret:auth0-AbC1eF",
			},
		},
	}
	for name, c := range cases {
		p, ok := params[name].(map[string]any)
		if !ok {
			t.Errorf("template.yaml declares no %s", name)
			continue
		}
		if _, ok := p["AllowedPattern"]; !ok {
			t.Errorf("%s has no AllowedPattern", name)
		}
		placeholder, ok := overrides[name]
		if !ok {
			t.Errorf("samconfig.toml has no placeholder for %s", name)
		} else if accepts(t, name, p, placeholder) {
			t.Errorf("%s accepts samconfig.toml's placeholder %q", name, placeholder)
		}
		for _, v := range c.good {
			if !accepts(t, name, p, v) {
				t.Errorf("%s rejects the realistic value %q", name, v)
			}
		}
		for _, v := range c.bad {
			if accepts(t, name, p, v) {
				t.Errorf("%s accepts %q", name, v)
			}
		}
	}
}

// TestSecretMustBeInStackRegion evaluates the template's region checks the
// way CloudFormation does: a secret ARN from the stack's region deploys, one
// from another region creates the secret's guard, whose wait condition
// fails the deployment (nothing signals it).
func TestSecretMustBeInStackRegion(t *testing.T) {
	tpl := loadTemplate(t)
	for param, guard := range map[string]string{
		"Auth0ClientSecretArn":     "Auth0ClientSecretArnIsInAnotherRegion",
		"Auth0ManagementSecretArn": "Auth0ManagementSecretArnIsInAnotherRegion",
	} {
		t.Run(param, func(t *testing.T) { checkRegionGuard(t, tpl, param, guard) })
	}
}

func checkRegionGuard(t *testing.T, tpl template, param, guard string) {
	arn := func(region string) string {
		return "arn:aws:secretsmanager:" + region + ":123456789012:secret:auth0/authapi/some-secret-AbC1eF"
	}
	for _, c := range []struct {
		stackRegion, secretRegion string
		mismatch                  bool
	}{
		{"us-east-1", "us-east-1", false},
		{"eu-west-1", "eu-west-1", false},
		{"us-east-1", "eu-west-1", true},
		{"eu-central-1", "eu-central-2", true},
	} {
		// The other secret is always in the stack's region: only param moves.
		params := map[string]string{
			"Auth0Domain": "dev-abc.us.auth0.com", "Auth0Audience": "https://api.example.com", "Auth0ClientId": "cid",
			"Auth0ClientSecretArn": arn(c.stackRegion), "Auth0ManagementSecretArn": arn(c.stackRegion),
		}
		params[param] = arn(c.secretRegion)
		s := stack{tpl: tpl, region: c.stackRegion, params: params}
		cond, _ := tpl.resource(guard)["Condition"].(string)
		got, err := s.condition(cond)
		if err != nil {
			t.Fatalf("%s's condition %q: %v", guard, cond, err)
		}
		if got != c.mismatch {
			t.Errorf("stack in %s, %s in %s: guard created = %v, want %v", c.stackRegion, param, c.secretRegion, got, c.mismatch)
		}
	}

	res := tpl.resource(guard)
	if res["Type"] != "AWS::CloudFormation::WaitCondition" {
		t.Fatalf("%s is %v, want an AWS::CloudFormation::WaitCondition", guard, res["Type"])
	}
	handle, _ := props(res)["Handle"].(map[string]any)["Ref"].(string)
	if h := tpl.resource(handle); h["Type"] != "AWS::CloudFormation::WaitConditionHandle" || h["Condition"] != res["Condition"] {
		t.Errorf("%s's Handle %q is not a WaitConditionHandle under the same condition", guard, handle)
	}
	if n, ok := number(props(res)["Timeout"]); !ok || n > 60 {
		t.Errorf("%s times out after %v s; it should fail the deployment at once", guard, props(res)["Timeout"])
	}
	if _, ok := props(res)["Count"]; ok {
		t.Errorf("%s sets Count; one missing signal is enough to fail", guard)
	}
	checkRulesFunctions(t, tpl)
}

func checkRulesFunctions(t *testing.T, tpl template) {

	// CloudFormation's Rules accept only the rule functions (no Fn::Select
	// or Fn::Split): a template that uses others there is rejected outright.
	ruleFns := []string{"Ref", "Fn::And", "Fn::Or", "Fn::Not", "Fn::Equals", "Fn::Contains",
		"Fn::EachMemberEquals", "Fn::EachMemberIn", "Fn::RefAll", "Fn::ValueOf", "Fn::ValueOfAll"}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				if (strings.HasPrefix(k, "Fn::") || k == "Condition") && !slices.Contains(ruleFns, k) {
					t.Errorf("Rules %s uses %s, which CloudFormation does not allow in Rules", path, k)
				}
				walk(path+"/"+k, c)
			}
		case []any:
			for i, c := range v {
				walk(path+"/"+strconv.Itoa(i), c)
			}
		}
	}
	walk("", tpl["Rules"])
}

// functionTimeout is a function's Timeout in seconds, from the function or
// from Globals.
func functionTimeout(t *testing.T, tpl template, fn string) float64 {
	t.Helper()
	if n, ok := number(props(tpl.resource(fn))["Timeout"]); ok {
		return n
	}
	globals, _ := tpl.section("Globals")["Function"].(map[string]any)
	n, ok := number(globals["Timeout"])
	if !ok {
		t.Fatalf("%s has no Timeout, nor has Globals", fn)
	}
	return n
}

// refTo returns the logical id a {"Ref": id} points at, or "".
func refTo(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["Ref"].(string)
	return s
}

// TestEveryFunctionHasItsAlarms: each function has an Errors, a Throttles
// and a Duration alarm, the duration one at 80 % of that function's
// timeout, and every alarm notifies the alarm topic when it fires and when
// it clears. A new function fails this test until it has its alarm block.
func TestEveryFunctionHasItsAlarms(t *testing.T) {
	tpl := loadTemplate(t)
	alarms := tpl.resourcesOfType("AWS::CloudWatch::Alarm")
	functions := tpl.resourcesOfType("AWS::Serverless::Function")
	if len(functions) < 3 {
		t.Fatalf("found %d functions, want at least signup, token and me", len(functions))
	}

	for _, a := range alarms {
		p := props(tpl.resource(a))
		for _, key := range []string{"AlarmActions", "OKActions"} {
			list, _ := p[key].([]any)
			if len(list) != 1 || refTo(list[0]) != "AlarmTopic" {
				t.Errorf("%s: %s = %v, want [!Ref AlarmTopic]", a, key, p[key])
			}
		}
		if p["TreatMissingData"] != "notBreaching" {
			t.Errorf("%s: TreatMissingData = %v, want notBreaching (no traffic is not a fault)", a, p["TreatMissingData"])
		}
		if d, _ := p["AlarmDescription"].(string); len(d) < 20 {
			t.Errorf("%s: the description should say what the alarm means", a)
		}
	}

	for _, fn := range functions {
		found := map[string]string{}
		for _, a := range alarms {
			p := props(tpl.resource(a))
			dims, _ := p["Dimensions"].([]any)
			if p["Namespace"] != "AWS/Lambda" || len(dims) != 1 {
				continue
			}
			d := dims[0].(map[string]any)
			if d["Name"] != "FunctionName" || refTo(d["Value"]) != fn {
				continue
			}
			metric := p["MetricName"].(string)
			if prev, ok := found[metric]; ok {
				t.Errorf("%s has two %s alarms: %s and %s", fn, metric, prev, a)
			}
			found[metric] = a
			threshold, _ := number(p["Threshold"])
			switch metric {
			case "Errors", "Throttles":
				if p["Statistic"] != "Sum" || threshold != 0 || p["ComparisonOperator"] != "GreaterThanThreshold" {
					t.Errorf("%s: want Sum > 0, have %v %v %v", a, p["Statistic"], p["ComparisonOperator"], threshold)
				}
			case "Duration":
				want := 0.8 * functionTimeout(t, tpl, fn) * 1000
				if threshold != want || p["ComparisonOperator"] != "GreaterThanThreshold" {
					t.Errorf("%s: threshold %v ms, want %v ms (80 %% of %s's timeout)", a, threshold, want, fn)
				}
				if p["ExtendedStatistic"] != "p99" && p["Statistic"] != "Maximum" {
					t.Errorf("%s: want p99 or Maximum, have %v", a, p["ExtendedStatistic"])
				}
			}
		}
		for _, metric := range []string{"Errors", "Throttles", "Duration"} {
			if _, ok := found[metric]; !ok {
				t.Errorf("%s has no %s alarm", fn, metric)
			}
		}
	}

	// The share of 5xx answers, from API Gateway's metrics for this API.
	p := props(tpl.resource("Api5xxShareAlarm"))
	if p == nil {
		t.Fatal("no Api5xxShareAlarm")
	}
	seen := map[string]bool{}
	for _, m := range p["Metrics"].([]any) {
		stat, _ := m.(map[string]any)["MetricStat"].(map[string]any)
		if stat == nil {
			continue
		}
		metric := stat["Metric"].(map[string]any)
		dims, _ := metric["Dimensions"].([]any)
		if metric["Namespace"] != "AWS/ApiGateway" || len(dims) != 1 || refTo(dims[0].(map[string]any)["Value"]) != "HttpApi" {
			t.Errorf("Api5xxShareAlarm reads %v, want AWS/ApiGateway for ApiId = !Ref HttpApi", metric)
		}
		seen[metric["MetricName"].(string)] = stat["Stat"] == "Sum"
	}
	if !seen["5xx"] || !seen["Count"] {
		t.Errorf("Api5xxShareAlarm sums %v, want 5xx and Count", seen)
	}

	// The email subscription exists exactly when AlarmEmail is set.
	sub := tpl.resource("AlarmEmailSubscription")
	if refTo(props(sub)["TopicArn"]) != "AlarmTopic" || refTo(props(sub)["Endpoint"]) != "AlarmEmail" {
		t.Errorf("AlarmEmailSubscription does not subscribe AlarmEmail to AlarmTopic: %v", props(sub))
	}
	for email, want := range map[string]bool{"": false, "ops@example.com": true} {
		s := stack{tpl: tpl, region: "us-east-1", params: map[string]string{"AlarmEmail": email}}
		got, err := s.condition(sub["Condition"].(string))
		if err != nil || got != want {
			t.Errorf("AlarmEmail %q: subscription created = %v (%v), want %v", email, got, err, want)
		}
	}
	if accepts(t, "AlarmEmail", tpl.section("Parameters")["AlarmEmail"].(map[string]any), "not an email") {
		t.Error("AlarmEmail accepts a value that is no email address")
	}
}

// The metrics contract (README, Operations): each metric of the functions'
// embedded metric format and its one dimension set.
var metricsContract = map[string][]string{
	"Requests":     {"Route", "Code"},
	"Latency":      {"Route"},
	"Auth0Latency": {"Route"},
	"ColdStart":    {"Route"},
}

var searchExpr = regexp.MustCompile(`^SEARCH\('\{"([^"]+)",([A-Za-z,]+)\} MetricName="(\w+)"', '(\w+)'\)$`)

// TestDashboardFollowsMetricsContract renders the dashboard as
// CloudFormation would and checks it: valid JSON; every graph of the
// functions' metrics names a metric of the contract, with its dimensions,
// in the namespace the functions are given; every alarm on the alarm
// widget; every function's Lambda metrics and log group on the dashboard.
func TestDashboardFollowsMetricsContract(t *testing.T) {
	tpl := loadTemplate(t)
	s := stack{tpl: tpl, region: "us-east-1"}

	globals, _ := tpl.section("Globals")["Function"].(map[string]any)
	env, _ := globals["Environment"].(map[string]any)["Variables"].(map[string]any)
	nsValue, ok := env["METRICS_NAMESPACE"].(map[string]any)
	if !ok {
		t.Fatal("Globals sets no METRICS_NAMESPACE for the functions")
	}
	namespace := s.sub(t, nsValue["Fn::Sub"])

	body := props(tpl.resource("Dashboard"))["DashboardBody"].(map[string]any)["Fn::Sub"]
	var dash struct {
		Widgets []struct {
			Type       string `json:"type"`
			Properties struct {
				Metrics [][]any  `json:"metrics"`
				Alarms  []string `json:"alarms"`
				Query   string   `json:"query"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(s.sub(t, body)), &dash); err != nil {
		t.Fatalf("DashboardBody is not JSON: %v", err)
	}

	graphed := map[string]bool{}    // contract metrics on the dashboard
	lambda := map[string][]string{} // function → its AWS/Lambda metrics shown
	var alarmArns, sources []string
	for _, w := range dash.Widgets {
		alarmArns = append(alarmArns, w.Properties.Alarms...)
		for _, m := range regexp.MustCompile(`SOURCE '([^']+)'`).FindAllStringSubmatch(w.Properties.Query, -1) {
			sources = append(sources, m[1])
		}
		for _, line := range w.Properties.Metrics {
			if e, ok := line[0].(map[string]any); ok {
				expr, _ := e["expression"].(string)
				m := searchExpr.FindStringSubmatch(expr)
				if m == nil {
					t.Errorf("unexpected expression %q", expr)
					continue
				}
				if m[1] != namespace {
					t.Errorf("%q searches namespace %q, the functions write %q", expr, m[1], namespace)
				}
				dims, ok := metricsContract[m[3]]
				if !ok {
					t.Errorf("%q graphs %s, which the metrics contract does not define", expr, m[3])
				} else if got := strings.Split(m[2], ","); !slices.Equal(got, dims) {
					t.Errorf("%q: dimensions %v, the contract gives %s %v", expr, got, m[3], dims)
				}
				graphed[m[3]] = true
				continue
			}
			ns, _ := line[0].(string)
			switch ns {
			case "AWS/Lambda":
				fn := strings.TrimPrefix(line[3].(string), "ref:")
				lambda[fn] = append(lambda[fn], line[1].(string))
			case "AWS/ApiGateway":
				if line[3] != "ref:HttpApi" {
					t.Errorf("API graph of %v, want ApiId ${HttpApi}", line[3])
				}
			default:
				t.Errorf("graph of an unexpected namespace: %v", line)
			}
		}
	}
	for metric := range metricsContract {
		if !graphed[metric] {
			t.Errorf("the dashboard does not graph %s", metric)
		}
	}

	alarms := tpl.resourcesOfType("AWS::CloudWatch::Alarm")
	var want []string
	for _, a := range alarms {
		want = append(want, "att:"+a+".Arn")
	}
	slices.Sort(want)
	slices.Sort(alarmArns)
	if !slices.Equal(alarmArns, want) {
		t.Errorf("alarm widget lists %v, want every alarm: %v", alarmArns, want)
	}

	logGroups := map[string]string{} // function → its log group's logical id
	for _, lg := range tpl.resourcesOfType("AWS::Logs::LogGroup") {
		name, _ := props(tpl.resource(lg))["LogGroupName"].(map[string]any)
		if m := regexp.MustCompile(`^/aws/lambda/\$\{(\w+)\}$`).FindStringSubmatch(name["Fn::Sub"].(string)); m != nil {
			logGroups[m[1]] = lg
		}
	}
	for _, fn := range tpl.resourcesOfType("AWS::Serverless::Function") {
		shown := lambda[fn]
		for _, metric := range []string{"Errors", "Throttles", "Duration"} {
			if !slices.Contains(shown, metric) {
				t.Errorf("the dashboard shows no %s of %s", metric, fn)
			}
		}
		if lg, ok := logGroups[fn]; !ok {
			t.Errorf("%s has no log group declared in the template", fn)
		} else if !slices.Contains(sources, "ref:"+lg) {
			t.Errorf("the cold start query does not read %s (%s)", lg, fn)
		}
	}

	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, word := range append(slices.Sorted(func(yield func(string) bool) {
		for m := range metricsContract {
			if !yield(m) {
				return
			}
		}
	}), "METRICS_NAMESPACE") {
		if !strings.Contains(string(readme), "`"+word+"`") {
			t.Errorf("README does not document `%s` of the metrics contract", word)
		}
	}
}

// TestNoTracing: SAM attaches AWSXrayWriteOnlyAccess to every function's
// role as soon as Tracing is set, even to PassThrough, and nothing here
// sends traces.
func TestNoTracing(t *testing.T) {
	tpl := loadTemplate(t)
	globals, _ := tpl.section("Globals")["Function"].(map[string]any)
	if _, ok := globals["Tracing"]; ok {
		t.Error("Globals.Function sets Tracing")
	}
	for _, fn := range tpl.resourcesOfType("AWS::Serverless::Function") {
		if _, ok := props(tpl.resource(fn))["Tracing"]; ok {
			t.Errorf("%s sets Tracing", fn)
		}
	}
}

// TestSecretsAreReadOnlyByTheirFunctions transforms the template with the
// SAM translator (as CloudFormation does on deploy) and checks the IAM roles
// it generates: the Lambda basic execution policy for all, no X-Ray policy;
// the client secret readable (and decryptable with the KMS key) by the
// token and account functions' roles only, the Management API credentials
// by the account function's role only.
func TestSecretsAreReadOnlyByTheirFunctions(t *testing.T) {
	cfn := struct {
		Resources map[string]struct {
			Type       string
			Properties map[string]any
		}
	}{transformed(t)}

	roleOf := map[string]string{} // function → role
	for id, r := range cfn.Resources {
		if r.Type == "AWS::Lambda::Function" {
			att, _ := r.Properties["Role"].(map[string]any)["Fn::GetAtt"].([]any)
			if len(att) != 2 {
				t.Fatalf("%s: role %v is not a role of this stack", id, r.Properties["Role"])
			}
			roleOf[id] = att[0].(string)
		}
	}
	const app, mgmt = "Auth0ClientSecretArn", "Auth0ManagementSecretArn"
	want := map[string][]string{ // role → the secrets it may read
		roleOf["SignupFunction"]:  nil,
		roleOf["TokenFunction"]:   {app},
		roleOf["MeFunction"]:      nil,
		roleOf["AccountFunction"]: {app, mgmt},
	}
	for _, fn := range []string{"SignupFunction", "TokenFunction", "MeFunction", "AccountFunction"} {
		if roleOf[fn] == "" {
			t.Fatalf("the transformed template has no %s", fn)
		}
	}

	const basic = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
	roles := 0
	for id, r := range cfn.Resources {
		if r.Type != "AWS::IAM::Role" {
			continue
		}
		roles++
		managed, _ := json.Marshal(r.Properties["ManagedPolicyArns"])
		if string(managed) != `["`+basic+`"]` {
			t.Errorf("%s: managed policies %s, want only AWSLambdaBasicExecutionRole", id, managed)
		}
		expected, known := want[id]
		if !known {
			t.Errorf("%s is no function's role", id)
			continue
		}
		reads, decrypts := grants(t, id, r.Properties["Policies"])
		slices.Sort(expected)
		if !slices.Equal(reads, expected) {
			t.Errorf("%s reads the secrets %v, want %v", id, reads, expected)
		}
		// With a KMS key, each secret it reads and no other.
		if len(decrypts) > 0 && !slices.Equal(decrypts, expected) {
			t.Errorf("%s decrypts the secrets %v, want %v", id, decrypts, expected)
		}
		if len(expected) > 0 && len(decrypts) == 0 {
			t.Errorf("%s cannot decrypt its secrets with a customer managed key", id)
		}
	}
	if roles != len(roleOf) {
		t.Errorf("%d roles for %d functions", roles, len(roleOf))
	}
}

// grants reads a role's inline policies (both branches of an Fn::If): the
// parameters naming the secrets it may GetSecretValue, and those KMS may
// decrypt for it (kms:EncryptionContext:SecretARN). Any other action, or a
// grant on every resource, fails t.
func grants(t *testing.T, role string, policies any) (reads, decrypts []string) {
	t.Helper()
	var statements []map[string]any
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if _, ok := v["Effect"]; ok {
				statements = append(statements, v)
				return
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(policies)
	add := func(list *[]string, v any) {
		for _, p := range refsIn(v) {
			if !slices.Contains(*list, p) {
				*list = append(*list, p)
			}
		}
	}
	for _, st := range statements {
		res, _ := json.Marshal(st["Resource"])
		if strings.Contains(string(res), `"*"`) {
			t.Errorf("%s grants on every resource: %s", role, res)
		}
		if st["Effect"] != "Allow" {
			continue
		}
		actions, _ := st["Action"].([]any)
		if a, ok := st["Action"].(string); ok {
			actions = []any{a}
		}
		for _, a := range actions {
			switch a {
			case "secretsmanager:GetSecretValue":
				add(&reads, st["Resource"])
			case "kms:Decrypt":
				if refTo(st["Resource"]) != "KmsKeyArn" {
					t.Errorf("%s decrypts with %v, want !Ref KmsKeyArn", role, st["Resource"])
				}
				cond, _ := st["Condition"].(map[string]any)["StringEquals"].(map[string]any)
				if cond["kms:ViaService"] == nil {
					t.Errorf("%s decrypts outside Secrets Manager", role)
				}
				add(&decrypts, cond["kms:EncryptionContext:SecretARN"])
			default:
				t.Errorf("%s is allowed %v", role, a)
			}
		}
	}
	slices.Sort(reads)
	slices.Sort(decrypts)
	return reads, decrypts
}

// refsIn lists the parameters a value refers to with Ref, anywhere inside.
func refsIn(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		if r, ok := v["Ref"].(string); ok {
			return []string{r}
		}
		for _, c := range v {
			out = append(out, refsIn(c)...)
		}
	case []any:
		for _, c := range v {
			out = append(out, refsIn(c)...)
		}
	}
	return out
}
