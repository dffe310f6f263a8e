package api

import (
	"encoding/json"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
)

// ErrorBody is the JSON every error answer carries.
type ErrorBody struct {
	// Error is the HTTP reason phrase, kept from the original service.
	Error   string `json:"error"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// MFAToken comes with mfa_required only.
	MFAToken string `json:"mfa_token,omitempty"`
}

// SignupBody answers a created user.
type SignupBody struct {
	Message string `json:"message"`
	UserID  string `json:"user_id"`
}

// TokenBody answers a login. The id_token is never passed on: callers of
// this API want an access token for other APIs.
type TokenBody struct {
	// Data repeats AccessToken for the clients written before access_token.
	Data         string `json:"data"`
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
	// RecoveryCode is the new MFA recovery code after the old one was used:
	// the app must show it to the user.
	RecoveryCode string `json:"recovery_code,omitempty"`
}

// MessageBody is an answer that only says something.
type MessageBody struct {
	Message string `json:"message"`
}

// emptyResponse is an answer without a body, such as 204.
func emptyResponse(status int) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: map[string]string{"Cache-Control": "no-store"}}
}

func jsonResponse(status int, body any, extra ...string) events.APIGatewayV2HTTPResponse {
	data, err := json.Marshal(body)
	if err != nil {
		// Only our own fixed types are marshalled; this cannot happen.
		status, data = http.StatusInternalServerError, []byte(`{"error":"Internal Server Error","code":"internal_error","message":"Something went wrong on our side."}`)
	}
	headers := map[string]string{
		"Content-Type": "application/json",
		// RFC 6749 5.1 for tokens; no answer of this API is worth caching.
		"Cache-Control": "no-store",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		headers[extra[i]] = extra[i+1]
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: headers, Body: string(data)}
}

func errorResponse(o Outcome) events.APIGatewayV2HTTPResponse {
	body := ErrorBody{Error: http.StatusText(o.Status), Code: o.Code, Message: o.Message, MFAToken: o.MFAToken}
	var extra []string
	if o.Allow != "" {
		extra = append(extra, "Allow", o.Allow)
	}
	if v := o.retryAfterHeader(); v != "" {
		extra = append(extra, "Retry-After", v)
	}
	return jsonResponse(o.Status, body, extra...)
}
