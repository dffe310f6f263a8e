// Command token is the POST /token Lambda function. It only wires: the
// contract lives in internal/api, Auth0 in pkg/auth0, and the client secret
// is read from Secrets Manager at cold start by internal/secret.
package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"time"

	"github.com/auth0-sam-go/authapi/internal/api"
	"github.com/auth0-sam-go/authapi/internal/secret"
	"github.com/auth0-sam-go/authapi/pkg/auth0"
	"github.com/aws/aws-lambda-go/lambda"
)

const route = "POST /token"

// secretInitTimeout bounds the cold-start read; on failure the function
// still starts, answers 503 and retries on later invocations.
const secretInitTimeout = 3 * time.Second

func main() {
	logger := api.NewLogger(os.Stdout)
	start := time.Now()
	cfg, cfgErr := auth0.LoadConfig(os.Getenv, auth0.EnvAudience)
	secretID := os.Getenv(secret.EnvID)
	if err := errors.Join(cfgErr, secret.CheckID(secretID)); err != nil {
		api.LogInitFailure(logger, route, err)
		lambda.Start(api.NewMisconfiguredHandler(route, logger))
		return
	}
	configDone := time.Now()

	ctx, cancel := context.WithTimeout(context.Background(), secretInitTimeout)
	fetcher, err := secret.NewSecretsManager(ctx)
	if err != nil {
		cancel()
		api.LogInitFailure(logger, route, err)
		lambda.Start(api.NewMisconfiguredHandler(route, logger))
		return
	}
	store := secret.NewStore(fetcher, secretID)
	if _, err := store.Get(ctx); err != nil {
		// The ARN and the AWS error only: the value never reaches a log.
		logger.LogAttrs(ctx, slog.LevelError, "cannot read the client secret: answering 503 secret_unavailable until it can be read",
			slog.String("secret", secretID), slog.String("error", err.Error()))
	}
	cancel()
	secretDone := time.Now()

	client := auth0.NewClient(cfg, nil)
	api.LogInit(logger, route,
		api.Phase{Name: "config", Took: configDone.Sub(start)},
		api.Phase{Name: "secret", Took: secretDone.Sub(configDone)},
		api.Phase{Name: "client", Took: time.Since(secretDone)})
	lambda.Start(api.NewTokenHandler(client, store, logger))
}
