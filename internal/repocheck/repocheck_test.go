// Package repocheck holds only tests: checks over the repository's files
// rather than its code.
package repocheck

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A finding is one credential-looking string in one file.
type finding struct {
	file string
	line int
	what string
	text string
}

func (f finding) String() string {
	// Never print the whole match: if it is real, the test log must not
	// spread it further.
	shown := f.text
	if len(shown) > 12 {
		shown = shown[:12] + "..."
	}
	return fmt.Sprintf("%s:%d: %s (%q)", f.file, f.line, f.what, shown)
}

// detector finds one kind of credential. allow, if set, clears a match
// that is a documented placeholder or a harmless example.
type detector struct {
	what  string
	re    *regexp.Regexp
	allow func(match string) bool
}

// The patterns are assembled from pieces so that this file does not match
// itself.
var detectors = []detector{
	{what: "private key", re: regexp.MustCompile("-----" + `BEGIN [A-Z0-9 ]*PRIVATE KEY`)},
	{what: "AWS access key id", re: regexp.MustCompile(`\b(?:AK` + `IA|AS` + `IA|AB` + `IA|AC` + `CA)[0-9A-Z]{16}\b`),
		allow: func(m string) bool { return strings.HasSuffix(m, "EXAMPLE") }}, // AWS's documentation key
	{what: "AWS secret access key", re: regexp.MustCompile(`(?i)aws_?secret_?access_?key["'\s]*[:=]\s*["']?[A-Za-z0-9/+]{40}\b`),
		allow: func(m string) bool { return strings.HasSuffix(m, "EXAMPLEKEY") }},
	{what: "JWT", re: regexp.MustCompile(`ey` + `J[A-Za-z0-9_-]{10,}\.ey` + `J[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*`), allow: unsignedExample},
	{what: "client secret value", re: regexp.MustCompile(`(?i)client_?secret["'\s]*[:=]\s*["']?[A-Za-z0-9_~.-]{32,}`)},
	{what: "GitHub token", re: regexp.MustCompile(`\b(?:gh` + `[pousr]_[A-Za-z0-9]{36}|github` + `_pat_[A-Za-z0-9_]{40,})`)},
	{what: "Slack token", re: regexp.MustCompile(`\bxo` + `x[abposr]-[A-Za-z0-9-]{10,}`)},
	{what: "Stripe live key", re: regexp.MustCompile(`\b[sr]k_` + `live_[A-Za-z0-9]{16,}`)},
	{what: "Google API key", re: regexp.MustCompile(`\bAI` + `za[0-9A-Za-z_-]{35}\b`)},
}

// unsignedExample allows a JWT-shaped string whose signature could not be a
// real one: none at all, or under 32 bytes (the smallest HS256 MAC). Real
// Auth0 tokens are RS256, with a 256-byte signature; the contract's example
// token is signed with the 9 bytes "signature".
func unsignedExample(m string) bool {
	parts := strings.Split(m, ".")
	if len(parts) < 3 {
		return true
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	return err == nil && len(sig) < 32
}

func scan(name string, data []byte) []finding {
	var out []finding
	for _, d := range detectors {
		for _, loc := range d.re.FindAllIndex(data, -1) {
			m := string(data[loc[0]:loc[1]])
			if d.allow != nil && d.allow(m) {
				continue
			}
			out = append(out, finding{file: name, line: 1 + bytes.Count(data[:loc[0]], []byte("\n")), what: d.what, text: m})
		}
	}
	return out
}

// repoFiles lists what is committed or about to be: tracked files and
// untracked ones that .gitignore does not exclude.
func repoFiles(t *testing.T) (root string, files []string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skip("not in a git checkout")
	}
	root = strings.TrimSpace(string(out))
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = root
	out, err = cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	for _, f := range strings.Split(string(out), "\x00") {
		if f != "" {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		t.Fatal("git ls-files listed nothing")
	}
	return root, files
}

// TestNoCredentialsInRepository greps every committed (or committable) file
// for private keys, AWS keys, signed JWTs, client secret values and common
// API tokens. The test fixtures' secrets ("test-client-secret" and the
// like) are short, obviously fake and match none of the patterns.
func TestNoCredentialsInRepository(t *testing.T) {
	root, files := repoFiles(t)
	var hits []finding
	scanned := 0
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			if os.IsNotExist(err) {
				continue // deleted in the work tree, not yet in the index
			}
			t.Fatal(err)
		}
		scanned++
		hits = append(hits, scan(f, data)...)
	}
	for _, h := range hits {
		t.Errorf("credential-looking string: %s", h)
	}
	t.Logf("%d files scanned with %d detectors, %d findings", scanned, len(detectors), len(hits))
}

// TestDeploymentFilesCarryNoSecretValues holds the files that configure a
// deployment or a local run to a stricter rule: the client secret is only
// ever referred to by its Secrets Manager ARN.
func TestDeploymentFilesCarryNoSecretValues(t *testing.T) {
	root, files := repoFiles(t)
	read := func(name string) string {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}

	// env.json: every variable about a secret is an ARN.
	var env map[string]map[string]string
	if err := json.Unmarshal([]byte(read("env.json")), &env); err != nil {
		t.Fatalf("env.json: %v", err)
	}
	for fn, vars := range env {
		for k, v := range vars {
			up := strings.ToUpper(k)
			if (strings.Contains(up, "SECRET") || strings.Contains(up, "PASSWORD") || strings.Contains(up, "TOKEN")) &&
				!(strings.HasSuffix(up, "_ARN") && strings.HasPrefix(v, "arn:aws:secretsmanager:")) &&
				!strings.HasPrefix(up, "AUTH0_TOKEN_") && !strings.HasPrefix(up, "AWS_ENDPOINT_URL") {
				t.Errorf("env.json: %s.%s is set to a value; only the secret's ARN may be", fn, k)
			}
		}
	}

	// template.yaml: no plain-text secret variable, no secret default.
	tmpl := read("template.yaml")
	if m := regexp.MustCompile(`(?m)^\s*AUTH0_CLIENT_SECRET\s*:`).FindString(tmpl); m != "" {
		t.Errorf("template.yaml sets AUTH0_CLIENT_SECRET; pass AUTH0_CLIENT_SECRET_ARN only")
	}
	if m := regexp.MustCompile(`(?m)^\s*(AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN)\s*:`).FindString(tmpl); m != "" {
		t.Errorf("template.yaml sets %s", strings.TrimSpace(m))
	}

	// samconfig.toml: only the ARN parameter, never a secret value.
	sam := read("samconfig.toml")
	if regexp.MustCompile(`(?i)ClientSecret\s*=`).MatchString(sam) {
		t.Errorf("samconfig.toml passes a client secret value; pass Auth0ClientSecretArn only")
	}

	// events/*: sample requests carry sample credentials only.
	events := 0
	for _, f := range files {
		if !strings.HasPrefix(f, "events/") {
			continue
		}
		events++
		text := read(f)
		if strings.Contains(strings.ToLower(text), "client_secret") {
			t.Errorf("%s mentions client_secret", f)
		}
		for _, h := range scan(f, []byte(text)) {
			t.Errorf("%s", h)
		}
	}
	if events == 0 {
		t.Error("no events/* files found")
	}
}

// TestDetectorsFindPlantedCredentials proves the scan is not vacuous: each
// detector catches a planted example, and the known harmless strings pass.
func TestDetectorsFindPlantedCredentials(t *testing.T) {
	sig := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0xA5}, 256))
	planted := map[string]string{
		"private key":           "-----" + "BEGIN RSA PRIVATE KEY-----\nMIIEow...",
		"AWS access key id":     "key = AK" + "IAZ3MSJV4WWQTTEST7",
		"AWS secret access key": "aws_secret_" + "access_key = Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFy",
		"JWT":                   "ey" + "JhbGciOiJSUzI1NiJ9.ey" + "JzdWIiOiJhdXRoMHwxIn0." + sig,
		"client secret value":   `"client_` + `secret": "q8M2nU5v-pLr3XzK9wT1bYc7HdJ4eFgA6sQ0iOuE5rNmZ2xKcV8bL1yT3wP9hGj"`,
		"GitHub token":          "gh" + "p_" + strings.Repeat("a1B2", 9),
		"Slack token":           "xo" + "xb-1234567890-abcdefghij",
		"Stripe live key":       "sk_" + "live_" + strings.Repeat("x9", 12),
		"Google API key":        "AI" + "za" + strings.Repeat("Sy", 17) + "Q",
	}
	for what, text := range planted {
		hits := scan("planted", []byte("prefix\n"+text+"\nsuffix"))
		if len(hits) != 1 || hits[0].what != what || hits[0].line != 2 {
			t.Errorf("%s: found %v, want one %s on line 2", what, hits, what)
		}
	}
	harmless := []string{
		"test-client-secret", `"client_secret": "test-client-secret"`, "AK" + "IAIOSFODNN7EXAMPLE",
		"ey" + "JhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImtleS0xIn0.ey" + "Jpc3MiOiJodHRwczovL2Rldi1hYmMudXMuYXV0aDAuY29tLyJ9.c2lnbmF0dXJl",
		"ey" + "JhbGciOiJSUzI1NiIs...", "-----" + "BEGIN PUBLIC KEY-----",
		"h1:" + strings.Repeat("A", 43) + "=",
	}
	for _, text := range harmless {
		if hits := scan("harmless", []byte(text)); len(hits) != 0 {
			t.Errorf("%q flagged: %v", text, hits)
		}
	}
}
