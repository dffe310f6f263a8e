// Command me is the GET /me Lambda function. The API Gateway JWT authorizer
// verifies the token before this runs, so it needs no configuration, no
// Auth0 call, no secret and no AWS SDK: it only wires.
package main

import (
	"os"

	"github.com/auth0-sam-go/authapi/internal/api"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	boot := api.NewInit(os.Stdout, "GET /me")
	boot.Done()
	lambda.Start(api.NewMeHandler(boot.Logger))
}
