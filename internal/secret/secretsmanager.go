package secret

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// Retry policy of the SDK client: a dead or broken endpoint must fail well
// within Store's per-fetch timeout instead of backing off for up to 20s.
const (
	sdkMaxAttempts = 2
	sdkMaxBackoff  = 200 * time.Millisecond
)

type secretsManager struct {
	client *secretsmanager.Client
}

// NewSecretsManager returns a Fetcher backed by AWS Secrets Manager, set up
// from the default config chain (env, shared config, Lambda role). The SDK
// itself honours AWS_ENDPOINT_URL_SECRETS_MANAGER (and AWS_ENDPOINT_URL),
// which is how tests point it at moto_server.
func NewSecretsManager(ctx context.Context) (Fetcher, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = sdkMaxAttempts
			o.MaxBackoff = sdkMaxBackoff
			// The client-side retry quota would turn a flapping endpoint
			// into confusing "retry quota exceeded" errors; two attempts
			// are already a small budget.
			o.RateLimiter = ratelimit.None
		})
	}))
	if err != nil {
		return nil, fmt.Errorf("secret: load AWS config: %w", err)
	}
	return &secretsManager{client: secretsmanager.NewFromConfig(cfg)}, nil
}

// Fetch implements Fetcher with GetSecretValue (version stage AWSCURRENT).
func (f *secretsManager) Fetch(ctx context.Context, id string) (string, error) {
	out, err := f.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
	if err != nil {
		return "", mapAWSError(err)
	}
	if out.SecretString == nil {
		return "", ErrBinary
	}
	return *out.SecretString, nil
}

// mapAWSError puts a sentinel in front of the AWS error for the cases an
// operator must act on, keeping the AWS error (and its request ID) in the chain.
func mapAWSError(err error) error {
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	// A secret scheduled for deletion answers InvalidRequestException
	// ("...marked for deletion" on AWS, "...marked deleted" on moto).
	var ir *types.InvalidRequestException
	if errors.As(err, &ir) && strings.Contains(strings.ToLower(ir.ErrorMessage()), "delet") {
		return fmt.Errorf("%w: %w", ErrDeleted, err)
	}
	return err
}
