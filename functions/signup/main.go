// Command signup is the POST /signup Lambda function. It only wires: the
// contract lives in internal/api, Auth0 in pkg/auth0. It needs no secret and
// must not link the AWS SDK.
package main

import (
	"os"
	"time"

	"github.com/auth0-sam-go/authapi/internal/api"
	"github.com/auth0-sam-go/authapi/pkg/auth0"
	"github.com/aws/aws-lambda-go/lambda"
)

const route = "POST /signup"

func main() {
	logger := api.NewLogger(os.Stdout)
	start := time.Now()
	cfg, err := auth0.LoadConfig(os.Getenv)
	if err != nil {
		api.LogInitFailure(logger, route, err)
		lambda.Start(api.NewMisconfiguredHandler(route, logger))
		return
	}
	client := auth0.NewClient(cfg, nil)
	api.LogInit(logger, route, api.Phase{Name: "config", Took: time.Since(start)})
	lambda.Start(api.NewSignupHandler(client, logger))
}
