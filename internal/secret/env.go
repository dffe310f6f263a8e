package secret

import (
	"context"
	"errors"
	"strings"
)

// EnvID names the environment variable holding the secret's ARN or name.
const EnvID = "AUTH0_CLIENT_SECRET_ARN"

// Open checks id, the secret's ARN or name, and returns a Store that reads
// it from Secrets Manager. Its errors are settings no retry can fix (the id,
// the AWS configuration), found before any AWS call.
func Open(id string) (*Store, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
	defer cancel()
	f, err := NewSecretsManager(ctx)
	if err != nil {
		return nil, err
	}
	return NewStore(f, id), nil
}

func checkID(id string) error {
	switch {
	case strings.TrimSpace(id) == "":
		return errors.New(EnvID + ": not set")
	case strings.HasPrefix(id, "arn:") && !strings.Contains(id, ":secretsmanager:"):
		return errors.New(EnvID + ": not a Secrets Manager ARN")
	case strings.ContainsAny(id, " \t\n"):
		return errors.New(EnvID + ": contains white space")
	}
	return nil
}
