// Command dev serves the HTTP API on 127.0.0.1 for local use (`make dev`).
// It feeds the functions' own routers the events API Gateway would send,
// and does what API Gateway does before a function runs: CORS (the list in
// CORS_ORIGINS, default DefaultCorsOrigins) and the JWT authorizer of /me.
// With no AUTH0_TOKEN_ISSUER in the environment it starts the embedded
// Auth0 emulator, so every route works with no account and no cloud; the
// emails and SMS the emulator "sends" are printed as log lines. MFA=required
// (make dev MFA=required) makes the emulator ask every login for a second
// factor; MFA_ENROLLMENT=disabled turns POST /mfa/enroll off, as the stack
// parameter MfaEnrollment does.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/auth0-sam-go/authapi/internal/api"
	"github.com/auth0-sam-go/authapi/internal/secret"
	"github.com/auth0-sam-go/authapi/pkg/auth0"
	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
	"github.com/auth0-sam-go/authapi/pkg/auth0/verify"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-invoke" { // make invoke: see invoke.go
		os.Exit(invokeMain(os.Args[2:]))
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "dev:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if os.Getenv("DEV_STOP_WITH_PARENT") != "" { // make dev: see stopWithParent
		ctx = stopWithParent(ctx)
	}
	logger := api.NewLogger(os.Stdout)

	mfaRequired, err := devMFA(os.Getenv)
	if err != nil {
		return err
	}
	enroll, err := api.MFAEnrollmentEnabled(os.Getenv)
	if err != nil {
		return err
	}
	cfg, secrets, cleanup, err := auth0Setup(ctx, logger, mfaRequired)
	if err != nil {
		return err
	}
	defer cleanup()
	if os.Getenv(auth0.EnvScope) == "" {
		cfg.Scope = devScope
	}

	// No API Gateway authorizer runs locally: /me checks tokens itself.
	verifier, err := verify.New(cfg.BaseURL, cfg.Audience)
	if err != nil {
		return err
	}
	origins := envOr("CORS_ORIGINS", DefaultCorsOrigins)
	mux := newMux(auth0.NewClient(cfg, nil), secrets, verifier, logger, api.MFAEnrollment(enroll))
	if err := addAccountRoutes(ctx, mux, cfg, secrets, verifier, logger); err != nil {
		return err
	}
	handler := parseOrigins(origins).wrap(mux)

	addr := net.JoinHostPort(envOr("HOST", "127.0.0.1"), envOr("PORT", "3000"))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	local := localAddr(ln.Addr().(*net.TCPAddr))
	fmt.Fprintf(os.Stderr, "\nAPI on http://%s (POST /signup, /token, /logout, /password/reset, /mfa/enroll, /mfa/challenge; GET /me, /mfa/authenticators; DELETE /me; POST /me/verification-email); Ctrl-C stops it\n", local)
	if w := exposureWarning(ln.Addr().(*net.TCPAddr), lanAddrs()); w != "" {
		fmt.Fprint(os.Stderr, w)
	}
	if mfaRequired {
		fmt.Fprintf(os.Stderr, "MFA=required: every password login answers 403 mfa_required with an mfa_token (README, Multi-factor login)\n")
	}
	fmt.Fprintf(os.Stderr, "CORS origins (CORS_ORIGINS): %s\n\n", origins)
	fmt.Fprintf(os.Stderr, "  curl -s http://%s/signup -H 'content-type: application/json' -d '{\"email\":\"jane@example.com\",\"password\":\"Correct-Horse-42\"}'\n", local)
	fmt.Fprintf(os.Stderr, "  curl -s http://%s/token -d 'grant_type=password&username=jane@example.com&password=Correct-Horse-42'\n\n", local)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	page, pageURL, err := startPage(ln.Addr())
	if err != nil {
		return err
	}
	defer page.Close()
	fmt.Fprintf(os.Stderr, "Browser client on %s\n\n", pageURL)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// devScope asks for a refresh token too, so refresh and logout work out of
// the box; AUTH0_SCOPE overrides it.
const devScope = "openid offline_access"

// newHandler is the whole local API: API Gateway's CORS for origins (a
// comma-separated list) in front of the routes.
func newHandler(client *auth0.Client, secrets api.SecretSource, verifier *verify.Verifier, logger *slog.Logger, origins string, opts ...api.TokenOption) http.Handler {
	return parseOrigins(origins).wrap(newMux(client, secrets, verifier, logger, opts...))
}

// newMux routes like the stack's HTTP API: each route to its function's
// router, as template.yaml does (ANY /path), and API Gateway's own 404 for
// anything else.
func newMux(client *auth0.Client, secrets api.SecretSource, verifier *verify.Verifier, logger *slog.Logger, opts ...api.TokenOption) *http.ServeMux {
	mux := http.NewServeMux()
	signup := api.NewSignupFunction(client, logger)
	token := api.NewTokenFunction(client, secrets, logger, opts...)
	for path, fn := range map[string]api.Handler{"/signup": signup, "/password/reset": signup, "/token": token, "/logout": token,
		"/mfa/authenticators": token, "/mfa/enroll": token, "/mfa/challenge": token} {
		mux.Handle(path, route("ANY "+path, fn))
	}
	mux.Handle("/me", meRoute(verifier, api.NewMeHandler(logger)))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"message":"Not Found"}`))
	})
	return mux
}

// auth0Setup picks the Auth0 to talk to: the tenant in the environment, or
// the embedded emulator when none is configured.
func auth0Setup(ctx context.Context, logger *slog.Logger, mfaRequired bool) (auth0.Config, api.SecretSource, func(), error) {
	if os.Getenv(auth0.EnvIssuer) == "" {
		return emulator(logger, mfaRequired)
	}
	if mfaRequired {
		return auth0.Config{}, nil, nil, errors.New("MFA=required switches the embedded emulator; a real tenant's MFA policy is set in its dashboard (Security > Multi-factor Auth)")
	}
	cfg, err := auth0.LoadConfig(os.Getenv, auth0.EnvAudience)
	if err != nil {
		return cfg, nil, nil, err
	}
	if s := os.Getenv("AUTH0_CLIENT_SECRET"); s != "" {
		// Only for local runs: deployed functions read Secrets Manager.
		return cfg, staticSecret(s), func() {}, nil
	}
	id := os.Getenv(secret.EnvID)
	if id == "" {
		return cfg, nil, nil, fmt.Errorf("set AUTH0_CLIENT_SECRET, or %s to read it from Secrets Manager", secret.EnvID)
	}
	f, err := secret.NewSecretsManager(ctx)
	if err != nil {
		return cfg, nil, nil, err
	}
	fmt.Fprintf(os.Stderr, "Auth0 tenant %s, secret from %s\n", cfg.BaseURL, id)
	return cfg, secret.NewStore(f, id), func() {}, nil
}

func emulator(logger *slog.Logger, mfaRequired bool) (auth0.Config, api.SecretSource, func(), error) {
	addr := envOr("AUTH0_EMULATOR_ADDR", "127.0.0.1:8081")
	if ln, err := net.Listen("tcp", addr); err != nil {
		addr = "127.0.0.1:0" // taken: any free port will do
	} else {
		ln.Close()
	}
	cfg, secrets, stop, err := emulatorAt(addr, printMessage(logger), mfaRequired)
	fmt.Fprintf(os.Stderr, "No AUTH0_TOKEN_ISSUER set: using the embedded Auth0 emulator.\n")
	fmt.Fprintf(os.Stderr, "  issuer   %s\n  audience %s\n  jwks     %s\n", cfg.Issuer(), cfg.Audience, cfg.JWKSURL())
	return cfg, secrets, stop, err
}

// emulatorAt starts auth0test on addr, as make dev runs it, and returns the
// settings to use it. onMessage gets each email or SMS it sends.
func emulatorAt(addr string, onMessage func(auth0test.Message), mfaRequired bool) (auth0.Config, api.SecretSource, func(), error) {
	srv := auth0test.NewServer(auth0test.Config{Addr: addr, OnMessage: onMessage, MFARequired: mfaRequired, M2M: devM2M})
	c := srv.Config()
	cfg := auth0.Config{BaseURL: srv.URL, ClientID: c.ClientID, Audience: c.Audience,
		Connection: c.Connection, Scope: devScope}
	return cfg, staticSecret(c.ClientSecret), srv.Close, nil
}

// printMessage logs each message the emulator sends as one line, with the
// link or code a developer would find in the mailbox. They are the
// emulator's test data; the address is masked all the same.
func printMessage(logger *slog.Logger) func(auth0test.Message) {
	return func(m auth0test.Message) {
		to := api.MaskEmail(m.To)
		if m.Channel == "sms" {
			to = maskPhone(m.To)
		}
		attrs := []slog.Attr{slog.String("kind", m.Kind), slog.String("channel", m.Channel), slog.String("to", to)}
		if m.Link != "" {
			attrs = append(attrs, slog.String("link", m.Link))
		}
		if m.Code != "" {
			attrs = append(attrs, slog.String("code", m.Code))
		}
		logger.LogAttrs(context.Background(), slog.LevelInfo, "auth0 emulator sent a message", attrs...)
	}
}

// maskPhone keeps the last 4 digits, as Auth0 names SMS factors.
func maskPhone(n string) string {
	keep := max(len(n)-4, 0)
	return strings.Repeat("X", keep) + n[keep:]
}

// devMFA reads MFA (make dev MFA=required): unset, or "required" for an
// emulator that asks every login for a second factor.
func devMFA(getenv func(string) string) (bool, error) {
	switch v := getenv("MFA"); v {
	case "":
		return false, nil
	case "required":
		return true, nil
	default:
		return false, fmt.Errorf("MFA=%q: use MFA=required, or leave it unset", v)
	}
}

// staticSecret is a client secret known up front (local runs only).
type staticSecret string

func (s staticSecret) Get(context.Context) (string, error)     { return string(s), nil }
func (s staticSecret) Refresh(context.Context) (string, error) { return string(s), nil }

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
