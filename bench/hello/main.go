// Command hello is the size and cold-start floor for the signup function: a
// hello-world aws-lambda-go bootstrap for API Gateway HTTP API events, built
// with the same flags (make bench-size, go run ./bench/coldstart). It reads no
// configuration and calls nothing.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{
			StatusCode: 200,
			Headers:    map[string]string{"Content-Type": "application/json"},
			Body:       `{"message":"hello"}`,
		}, nil
	})
}
