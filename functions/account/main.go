// Command account is the DELETE /me and POST /me/verification-email Lambda
// function, a composition root behind the JWT authorizer. At cold start it
// reads two secrets: the application's client secret (to check a password
// again) and the Management API's credentials, which only it may read.
package main

import (
	"errors"
	"os"

	"github.com/auth0-sam-go/authapi/internal/api"
	"github.com/auth0-sam-go/authapi/internal/secret"
	"github.com/auth0-sam-go/authapi/pkg/auth0"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	boot := api.NewInit(os.Stdout, "DELETE /me")
	cfg, cfgErr := auth0.LoadConfig(os.Getenv, auth0.EnvAudience)
	boot.Phase("config")
	app, mgmtStore, secretErr := secret.OpenAccount(os.Getenv(secret.EnvID), os.Getenv(secret.EnvManagementID))
	if err := errors.Join(cfgErr, secretErr); err != nil {
		lambda.Start(boot.Misconfigured(err))
		return
	}
	creds := api.ManagementCredentials(mgmtStore)
	boot.ReadManagementCredentials(creds)
	boot.ReadSecret(app)
	client := auth0.NewClient(cfg, nil)
	mgmt := auth0.NewManagement(client, creds)
	boot.Phase("client")
	boot.Done()
	lambda.Start(api.NewRouter(boot.Logger,
		api.Route{Method: "DELETE", Path: "/me", Handler: api.NewDeleteMeHandler(client, app, mgmt, boot.Logger)},
		api.Route{Method: "POST", Path: "/me/verification-email", Handler: api.NewVerificationEmailHandler(mgmt, boot.Logger)}))
}
