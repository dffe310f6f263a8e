package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/auth0-sam-go/authapi/internal/api"
	"github.com/auth0-sam-go/authapi/internal/secret"
	"github.com/auth0-sam-go/authapi/pkg/auth0"
	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
	"github.com/auth0-sam-go/authapi/pkg/auth0/verify"
)

// devM2M is the emulator's machine-to-machine application, authorized for
// its Management API with the scopes the account routes need.
var devM2M = auth0test.M2MClient{ID: "dev-m2m-client-id", Secret: "dev-m2m-client-secret",
	Scopes: []string{"read:users", "delete:users", "update:users"}}

// Local-only variables for the Management API credentials of a real
// tenant; deployed functions read AUTH0_MANAGEMENT_SECRET_ARN.
const (
	envManagementClientID     = "AUTH0_MANAGEMENT_CLIENT_ID"
	envManagementClientSecret = "AUTH0_MANAGEMENT_CLIENT_SECRET"
)

// addAccountRoutes serves DELETE /me and POST /me/verification-email as
// the account function does, behind the emulated JWT authorizer, as GET /me. Without
// Management API credentials for a real tenant they are left out (404),
// and a line says what to set.
func addAccountRoutes(ctx context.Context, mux *http.ServeMux, cfg auth0.Config, secrets api.SecretSource, v *verify.Verifier, logger *slog.Logger) error {
	creds, err := managementCredentials(ctx)
	if err != nil {
		return err
	}
	if creds == nil {
		fmt.Fprintf(os.Stderr, "DELETE /me and POST /me/verification-email are off: set %s and %s, or %s\n",
			envManagementClientID, envManagementClientSecret, secret.EnvManagementID)
		return nil
	}
	client := auth0.NewClient(cfg, nil)
	mgmt := auth0.NewManagement(client, api.ManagementCredentials(creds))
	// More specific than newMux's "/me", so only DELETE comes here.
	mux.Handle("DELETE /me", protected(v, "DELETE /me", api.NewDeleteMeHandler(client, secrets, mgmt, logger)))
	mux.Handle("POST /me/verification-email", protected(v, "POST /me/verification-email", api.NewVerificationEmailHandler(mgmt, logger)))
	return nil
}

// managementCredentials are the emulator's M2M application's, or a real
// tenant's from the environment; nil when none are set.
func managementCredentials(ctx context.Context) (auth0.CredentialsSource, error) {
	if os.Getenv(auth0.EnvIssuer) == "" {
		return staticCredentials{ID: devM2M.ID, Secret: devM2M.Secret}, nil
	}
	if id, s := os.Getenv(envManagementClientID), os.Getenv(envManagementClientSecret); id != "" && s != "" {
		return staticCredentials{ID: id, Secret: s}, nil
	}
	id := os.Getenv(secret.EnvManagementID)
	if id == "" {
		return nil, nil
	}
	f, err := secret.NewSecretsManager(ctx)
	if err != nil {
		return nil, err
	}
	return secret.NewClientStore(f, id), nil
}

// staticCredentials are Management API credentials known up front.
type staticCredentials auth0.ClientCredentials

func (s staticCredentials) Get(context.Context) (auth0.ClientCredentials, error) {
	return auth0.ClientCredentials(s), nil
}

func (s staticCredentials) Refresh(ctx context.Context) (auth0.ClientCredentials, error) {
	return s.Get(ctx)
}
