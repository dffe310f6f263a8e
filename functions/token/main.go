// Command token is the Lambda function of POST /token, POST /logout and the
// /mfa/* routes, a composition root: the contract lives in internal/api,
// Auth0 in pkg/auth0, and the client secret is read from Secrets Manager at
// cold start through internal/secret.
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
	boot := api.NewInit(os.Stdout, "POST /token")
	cfg, cfgErr := auth0.LoadConfig(os.Getenv, auth0.EnvAudience)
	boot.Phase("config")
	store, secretErr := secret.Open(os.Getenv(secret.EnvID))
	enroll, enrollErr := api.MFAEnrollmentEnabled(os.Getenv)
	if err := errors.Join(cfgErr, secretErr, enrollErr); err != nil {
		lambda.Start(boot.Misconfigured(err))
		return
	}
	boot.ReadSecret(store)
	client := auth0.NewClient(cfg, nil)
	boot.Phase("client")
	boot.Done()
	lambda.Start(api.NewTokenFunction(client, store, boot.Logger, api.MFAEnrollment(enroll)))
}
