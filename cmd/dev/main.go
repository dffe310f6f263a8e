// Command dev serves the HTTP API on 127.0.0.1 for local use (`make dev`).
// It feeds the real handlers the events API Gateway would send. With no
// AUTH0_TOKEN_ISSUER in the environment it starts the embedded Auth0
// emulator, so signup and token work with no account and no cloud.
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
	logger := api.NewLogger(os.Stdout)

	cfg, secrets, cleanup, err := auth0Setup(ctx)
	if err != nil {
		return err
	}
	defer cleanup()

	// No API Gateway authorizer runs locally: /me checks tokens itself.
	verifier, err := verify.New(cfg.BaseURL, cfg.Audience)
	if err != nil {
		return err
	}
	mux := newMux(auth0.NewClient(cfg, nil), secrets, verifier, logger)

	addr := net.JoinHostPort("127.0.0.1", envOr("PORT", "3000"))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(os.Stderr, "\nAPI on http://%s  (POST /signup, POST /token, GET /me); Ctrl-C stops it\n\n", ln.Addr())
	fmt.Fprintf(os.Stderr, "  curl -s http://%s/signup -H 'content-type: application/json' -d '{\"email\":\"jane@example.com\",\"password\":\"Correct-Horse-42\"}'\n", ln.Addr())
	fmt.Fprintf(os.Stderr, "  curl -s http://%s/token  -H 'content-type: application/json' -d '{\"email\":\"jane@example.com\",\"password\":\"Correct-Horse-42\"}'\n\n", ln.Addr())

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

// newMux routes like the stack's HTTP API: each route to its handler, and
// API Gateway's own 404 for anything else.
func newMux(client *auth0.Client, secrets api.SecretSource, verifier *verify.Verifier, logger *slog.Logger) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/signup", route("ANY /signup", api.NewSignupHandler(client, logger)))
	mux.Handle("/token", route("ANY /token", api.NewTokenHandler(client, secrets, logger)))
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
func auth0Setup(ctx context.Context) (auth0.Config, api.SecretSource, func(), error) {
	if os.Getenv(auth0.EnvIssuer) == "" {
		return emulator()
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

func emulator() (auth0.Config, api.SecretSource, func(), error) {
	addr := envOr("AUTH0_EMULATOR_ADDR", "127.0.0.1:8081")
	if ln, err := net.Listen("tcp", addr); err != nil {
		addr = "127.0.0.1:0" // taken: any free port will do
	} else {
		ln.Close()
	}
	cfg, secrets, stop, err := emulatorAt(addr)
	fmt.Fprintf(os.Stderr, "No AUTH0_TOKEN_ISSUER set: using the embedded Auth0 emulator.\n")
	fmt.Fprintf(os.Stderr, "  issuer   %s\n  audience %s\n  jwks     %s\n", cfg.Issuer(), cfg.Audience, cfg.JWKSURL())
	return cfg, secrets, stop, err
}

// emulatorAt starts auth0test on addr and returns the settings to use it.
func emulatorAt(addr string) (auth0.Config, api.SecretSource, func(), error) {
	srv := auth0test.NewServer(auth0test.Config{Addr: addr})
	c := srv.Config()
	cfg := auth0.Config{BaseURL: srv.URL, ClientID: c.ClientID, Audience: c.Audience,
		Connection: c.Connection, Scope: auth0.DefaultScope}
	return cfg, staticSecret(c.ClientSecret), srv.Close, nil
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
