// Command sdkprobe is the cold-start and size floor for the token function:
// the least a Go Lambda that reads a secret at cold start does. It loads the
// AWS config with config.LoadDefaultConfig, reads one secret with
// GetSecretValue (the id in AUTH0_CLIENT_SECRET_ARN, as for the token
// function), then serves a trivial handler. It exits if the read fails, so a
// benchmark cannot time a failed probe.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdkprobe: load AWS config:", err)
		os.Exit(1)
	}
	client := secretsmanager.NewFromConfig(cfg)
	out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId: aws.String(os.Getenv("AUTH0_CLIENT_SECRET_ARN")),
	})
	cancel()
	if err != nil || out.SecretString == nil {
		fmt.Fprintln(os.Stderr, "sdkprobe: read the secret:", err)
		os.Exit(1)
	}
	n := len(*out.SecretString)
	lambda.Start(func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{
			StatusCode: 200,
			Headers:    map[string]string{"Content-Type": "application/json"},
			Body:       fmt.Sprintf(`{"secret_bytes":%d}`, n),
		}, nil
	})
}
