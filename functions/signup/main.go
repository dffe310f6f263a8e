// Command signup is the Lambda function of POST /signup and POST
// /password/reset, a composition root: the contract lives in internal/api,
// Auth0 in pkg/auth0. It needs no secret and must not link the AWS SDK.
package main

import (
	"context"
	"os"

	"github.com/auth0-sam-go/authapi/internal/api"
	"github.com/auth0-sam-go/authapi/pkg/auth0"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	boot := api.NewInit(os.Stdout, "POST /signup")
	cfg, err := auth0.LoadConfig(os.Getenv)
	if err != nil {
		lambda.Start(boot.Misconfigured(err))
		return
	}
	client := auth0.NewClient(cfg, nil)
	// Nothing to overlap on an on-demand cold start but the runtime's own
	// start; with provisioned concurrency the first request finds it open.
	client.Preconnect(context.Background())
	boot.Phase("config")
	boot.Done()
	lambda.Start(api.NewSignupFunction(client, boot.Logger))
}
