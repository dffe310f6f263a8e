package auth0test

import "net/http"

// oauthError is the /oauth/* error shape.
type oauthError struct {
	Error            string           `json:"error"`
	ErrorDescription string           `json:"error_description"`
	MFAToken         string           `json:"mfa_token,omitempty"`
	MFARequirements  *mfaRequirements `json:"mfa_requirements,omitempty"`
}

type mfaRequirements struct {
	Challenge []mfaChallenge `json:"challenge"`
}

type mfaChallenge struct {
	Type string `json:"type"`
}

func oauthErr(status int, code, description string) reply {
	return reply{status: status, body: oauthError{Error: code, ErrorDescription: description}}
}

// dbError is the /dbconnections/* error shape. Fields are in the order the
// real service sends them; Description is a string, or the rules object of a
// PasswordStrengthError.
type dbError struct {
	Name        string `json:"name,omitempty"`
	Message     string `json:"message,omitempty"`
	Code        string `json:"code"`
	Description any    `json:"description"`
	Policy      string `json:"policy,omitempty"`
	StatusCode  int    `json:"statusCode"`
}

// badRequest answers e as a 400: every catalogued /dbconnections/signup
// refusal is one.
func badRequest(e dbError) reply {
	e.StatusCode = http.StatusBadRequest
	return reply{status: http.StatusBadRequest, body: e}
}

func dbErr(name, code string, description any) reply {
	return badRequest(dbError{Name: name, Code: code, Description: description})
}

// Catalogued texts.
const (
	descWrongCredentials = "Wrong email or password."
	descTooManyAttempts  = "Your account has been blocked after multiple consecutive login attempts. " +
		"We've sent you a notification via your preferred contact method with instructions on how to unblock it."
	descTooManyRequests = "Too many requests. Check the X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset headers."
	descPasswordLeaked  = "This login attempt has been blocked because the password you're using was previously " +
		"disclosed through a data breach (not in this application). Please check your email for more information."
	descNoDefaultConnection = "Authorization server not configured with default connection."
)

// errorCode is the code of an error body, for Logf.
func errorCode(body any) string {
	switch b := body.(type) {
	case oauthError:
		return b.Error
	case dbError:
		return b.Code
	case mgmtError:
		if b.ErrorCode != "" {
			return b.ErrorCode
		}
		return b.Error
	}
	return ""
}
