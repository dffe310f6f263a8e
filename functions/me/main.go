// Command me is the GET /me Lambda function. The API Gateway JWT authorizer
// verifies the token before this runs, so it needs no configuration, no
// Auth0 call, no secret and no AWS SDK: it only wires.
package main

import (
	"os"

	"github.com/auth0-sam-go/authapi/internal/api"
	"github.com/aws/aws-lambda-go/lambda"
)

const route = "GET /me"

func main() {
	logger := api.NewLogger(os.Stdout)
	api.LogInit(logger, route)
	lambda.Start(api.NewMeHandler(logger))
}
