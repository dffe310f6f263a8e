package auth0

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Environment variables read by LoadConfig.
const (
	EnvIssuer     = "AUTH0_TOKEN_ISSUER"
	EnvAudience   = "AUTH0_TOKEN_AUDIENCE"
	EnvClientID   = "AUTH0_CLIENT_ID"
	EnvConnection = "AUTH0_CONNECTION"
	EnvScope      = "AUTH0_SCOPE"
)

// DefaultConnection is the database connection every new Auth0 tenant has.
const DefaultConnection = "Username-Password-Authentication"

// DefaultScope asks for an id_token too, which we never return; it keeps the
// access token's audience array as Auth0 documents it.
const DefaultScope = "openid"

// Config says which tenant, application and connection to talk to.
type Config struct {
	// BaseURL is the tenant's origin, e.g. "https://dev-x.us.auth0.com", with
	// no trailing slash. Token issuers carry BaseURL + "/".
	BaseURL    string
	ClientID   string
	Audience   string
	Connection string
	Scope      string
}

// Issuer is the "iss" claim of the tenant's tokens (with the trailing slash).
func (c Config) Issuer() string { return c.BaseURL + "/" }

// JWKSURL is where the tenant publishes its signing keys.
func (c Config) JWKSURL() string { return c.BaseURL + "/.well-known/jwks.json" }

// ConfigError lists every problem found in the environment, so one log line
// can tell an operator everything to fix.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string {
	return "invalid configuration: " + strings.Join(e.Problems, "; ")
}

// LoadConfig reads the Auth0 settings from getenv (os.Getenv in production).
// The issuer and client id are always required; pass EnvAudience in
// required for the token function.
func LoadConfig(getenv func(string) string, required ...string) (Config, error) {
	var problems []string
	cfg := Config{
		ClientID:   strings.TrimSpace(getenv(EnvClientID)),
		Audience:   strings.TrimSpace(getenv(EnvAudience)),
		Connection: strings.TrimSpace(getenv(EnvConnection)),
		Scope:      strings.TrimSpace(getenv(EnvScope)),
	}
	if cfg.Connection == "" {
		cfg.Connection = DefaultConnection
	}
	if cfg.Scope == "" {
		cfg.Scope = DefaultScope
	}
	base, err := ParseIssuer(getenv(EnvIssuer))
	if err != nil {
		problems = append(problems, EnvIssuer+": "+err.Error())
	}
	cfg.BaseURL = base
	if cfg.ClientID == "" {
		problems = append(problems, EnvClientID+": not set")
	}
	for _, name := range required {
		if name == EnvAudience && cfg.Audience == "" {
			problems = append(problems, EnvAudience+": not set")
		}
	}
	if len(problems) > 0 {
		return cfg, &ConfigError{Problems: problems}
	}
	return cfg, nil
}

// ParseIssuer turns what people paste as their tenant ("dev-x.us.auth0.com",
// "https://dev-x.us.auth0.com/") into an origin without a trailing slash.
// Plain http is allowed only for loopback hosts, where local emulators run.
func ParseIssuer(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", errors.New("not set")
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", errors.New("not a URL or domain")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.Trim(u.Path, "/") != "" {
		return "", errors.New("must be the tenant origin only, like https://TENANT.REGION.auth0.com")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", errors.New("plain http is allowed only for loopback hosts")
		}
	default:
		return "", fmt.Errorf("scheme %q is not https", u.Scheme)
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Timeouts for the shared HTTP client. Each call is further bounded by its
// context, which the handlers derive from the Lambda deadline.
const (
	DialTimeout     = 2 * time.Second
	RequestTimeout  = 8 * time.Second
	IdleConnTimeout = 90 * time.Second
)
