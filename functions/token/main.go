// Command token serves POST /token, POST /logout and /mfa/*: a composition
// root. The contract lives in internal/api, Auth0 in pkg/auth0, and the
// client secret is read from Secrets Manager at cold start (internal/secret).
package main

import (
	"context"
	"errors"
	"os"

	"github.com/auth0-sam-go/authapi/internal/api"
	"github.com/auth0-sam-go/authapi/internal/secret"
	"github.com/auth0-sam-go/authapi/pkg/auth0"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	boot := api.NewInit(os.Stdout, "POST /token")
	cfg, cfgErr := auth0.LoadConfig(os.Getenv, auth0.EnvAudience)
	boot.Phase("config")
	client := auth0.NewClient(cfg, nil)
	if cfgErr == nil {
		client.Preconnect(context.Background()) // opens while the secret is read
	}
	boot.Phase("client")
	store, secretErr := secret.Open(os.Getenv(secret.EnvID))
	enroll, enrollErr := api.MFAEnrollmentEnabled(os.Getenv)
	if err := errors.Join(cfgErr, secretErr, enrollErr); err != nil {
		lambda.Start(boot.Misconfigured(err))
		return
	}
	boot.ReadSecret(store)
	boot.Done()
	lambda.Start(api.NewTokenFunction(client, store, boot.Logger, api.MFAEnrollment(enroll)))
}
