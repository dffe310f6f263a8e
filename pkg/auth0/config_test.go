package auth0

import (
	"errors"
	"strings"
	"testing"
)

func TestParseIssuer(t *testing.T) {
	good := map[string]string{
		"dev-x.us.auth0.com":           "https://dev-x.us.auth0.com",
		"https://dev-x.us.auth0.com":   "https://dev-x.us.auth0.com",
		"https://dev-x.us.auth0.com/":  "https://dev-x.us.auth0.com",
		" https://Dev-X.us.auth0.com ": "https://dev-x.us.auth0.com",
		"http://127.0.0.1:8081":        "http://127.0.0.1:8081",
		"http://localhost:8081/":       "http://localhost:8081",
		"http://[::1]:9000":            "http://[::1]:9000",
	}
	for in, want := range good {
		got, err := ParseIssuer(in)
		if err != nil || got != want {
			t.Errorf("ParseIssuer(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []string{"", "   ", "http://dev-x.us.auth0.com", "ftp://x.auth0.com", "https://x.auth0.com/oauth/token",
		"https://user:pw@x.auth0.com", "https://x.auth0.com/?a=b", "https://", "http://10.0.0.1"}
	for _, in := range bad {
		if got, err := ParseIssuer(in); err == nil {
			t.Errorf("ParseIssuer(%q) = %q, want an error", in, got)
		}
	}
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadConfigDefaults(t *testing.T) {
	cfg, err := LoadConfig(env(map[string]string{EnvIssuer: "t.eu.auth0.com/", EnvClientID: "cid"}))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{BaseURL: "https://t.eu.auth0.com", ClientID: "cid", Connection: DefaultConnection, Scope: DefaultScope}
	if cfg != want {
		t.Fatalf("got %+v, want %+v", cfg, want)
	}
	if cfg.Issuer() != "https://t.eu.auth0.com/" || cfg.JWKSURL() != "https://t.eu.auth0.com/.well-known/jwks.json" {
		t.Fatalf("issuer %q jwks %q", cfg.Issuer(), cfg.JWKSURL())
	}
}

func TestLoadConfigNamesEveryBadVariable(t *testing.T) {
	_, err := LoadConfig(env(map[string]string{EnvIssuer: "http://evil.example"}), EnvAudience)
	var cfgErr *ConfigError
	if !errors.As(err, &cfgErr) {
		t.Fatalf("err = %v, want *ConfigError", err)
	}
	for _, name := range []string{EnvIssuer, EnvClientID, EnvAudience} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
	if len(cfgErr.Problems) != 3 {
		t.Errorf("problems = %q, want 3", cfgErr.Problems)
	}
}
