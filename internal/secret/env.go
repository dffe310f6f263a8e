package secret

import (
	"context"
	"errors"
	"strings"

	"github.com/auth0-sam-go/authapi/pkg/auth0"
)

// Environment variables naming secrets by ARN or name.
const (
	// EnvID: the application's client secret.
	EnvID = "AUTH0_CLIENT_SECRET_ARN"
	// EnvManagementID: the Management API's client credentials.
	EnvManagementID = "AUTH0_MANAGEMENT_SECRET_ARN"
)

// ClientStore caches a machine-to-machine application's credentials (see
// ParseClient); it is an auth0.CredentialsSource.
type ClientStore = Cache[auth0.ClientCredentials]

// NewClientStore returns a ClientStore that reads secret id through f.
func NewClientStore(f Fetcher, id string, opts ...Option) *ClientStore {
	return newCache(f, id, ParseClient, opts)
}

// Open checks id, the secret's ARN or name, and returns a Store that reads
// it from Secrets Manager. Its errors are settings no retry can fix (the id,
// the AWS configuration), found before any AWS call.
func Open(id string) (*Store, error) {
	if err := checkID(EnvID, id); err != nil {
		return nil, err
	}
	f, err := openSecretsManager()
	if err != nil {
		return nil, err
	}
	return NewStore(f, id), nil
}

// OpenAccount is Open for the account function: the application's client
// secret (appID) and the Management API's credentials (managementID), read
// through one Secrets Manager client. The error names every bad setting.
func OpenAccount(appID, managementID string) (*Store, *ClientStore, error) {
	if err := errors.Join(checkID(EnvID, appID), checkID(EnvManagementID, managementID)); err != nil {
		return nil, nil, err
	}
	f, err := openSecretsManager()
	if err != nil {
		return nil, nil, err
	}
	return NewStore(f, appID), NewClientStore(f, managementID), nil
}

func openSecretsManager() (Fetcher, error) {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
	defer cancel()
	return NewSecretsManager(ctx)
}

func checkID(env, id string) error {
	switch {
	case strings.TrimSpace(id) == "":
		return errors.New(env + ": not set")
	case strings.HasPrefix(id, "arn:") && !strings.Contains(id, ":secretsmanager:"):
		return errors.New(env + ": not a Secrets Manager ARN")
	case strings.ContainsAny(id, " \t\n"):
		return errors.New(env + ": contains white space")
	}
	return nil
}
