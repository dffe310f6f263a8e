package secret

import (
	"errors"
	"strings"
)

// EnvID names the environment variable holding the secret's ARN or name.
const EnvID = "AUTH0_CLIENT_SECRET_ARN"

// CheckID reports a missing or malformed secret id at cold start, before
// any AWS call, so the init log can name it with the other bad settings.
func CheckID(id string) error {
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
