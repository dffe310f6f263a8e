package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/auth0-sam-go/authapi/internal/flatjson"
	"github.com/aws/aws-lambda-go/events"
)

// ErrorBody is the JSON every error answer carries.
type ErrorBody struct {
	// Error is the HTTP reason phrase, kept from the original service.
	Error   string `json:"error"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// SignupBody answers a created user.
type SignupBody struct {
	Message string `json:"message"`
	UserID  string `json:"user_id"`
}

// TokenBody answers a login. The id_token is never passed on: callers of
// this API want an access token for other APIs.
type TokenBody struct {
	Data         string `json:"data"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

// appendJSON methods write what json.Marshal writes for these bodies, field
// for field, without its reflection.

func (b ErrorBody) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"error":`...)
	dst = flatjson.AppendString(dst, b.Error)
	dst = append(dst, `,"code":`...)
	dst = flatjson.AppendString(dst, b.Code)
	dst = append(dst, `,"message":`...)
	dst = flatjson.AppendString(dst, b.Message)
	return append(dst, '}')
}

func (b SignupBody) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"message":`...)
	dst = flatjson.AppendString(dst, b.Message)
	dst = append(dst, `,"user_id":`...)
	dst = flatjson.AppendString(dst, b.UserID)
	return append(dst, '}')
}

func (b TokenBody) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"data":`...)
	dst = flatjson.AppendString(dst, b.Data)
	dst = append(dst, `,"token_type":`...)
	dst = flatjson.AppendString(dst, b.TokenType)
	dst = append(dst, `,"expires_in":`...)
	dst = strconv.AppendInt(dst, int64(b.ExpiresIn), 10)
	if b.RefreshToken != "" {
		dst = append(dst, `,"refresh_token":`...)
		dst = flatjson.AppendString(dst, b.RefreshToken)
	}
	return append(dst, '}')
}

// marshalBody is string(json.Marshal(body)), without reflection for our
// own bodies.
func marshalBody(body any) (string, error) {
	var buf [2048]byte // most answers fit: only the string conversion allocates
	var data []byte
	switch b := body.(type) {
	case TokenBody:
		data = b.appendJSON(buf[:0])
	case SignupBody:
		data = b.appendJSON(buf[:0])
	case ErrorBody:
		data = b.appendJSON(buf[:0])
	default:
		var err error
		if data, err = json.Marshal(body); err != nil {
			return "", err
		}
	}
	return string(data), nil
}

func jsonResponse(status int, body any, extra ...string) events.APIGatewayV2HTTPResponse {
	data, err := marshalBody(body)
	if err != nil {
		// Only our own fixed types are marshalled; this cannot happen.
		status, data = http.StatusInternalServerError, `{"error":"Internal Server Error","code":"internal_error","message":"Something went wrong on our side."}`
	}
	headers := map[string]string{
		"Content-Type": "application/json",
		// RFC 6749 5.1 for tokens; no answer of this API is worth caching.
		"Cache-Control": "no-store",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		headers[extra[i]] = extra[i+1]
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: headers, Body: data}
}

func errorResponse(o Outcome) events.APIGatewayV2HTTPResponse {
	body := ErrorBody{Error: http.StatusText(o.Status), Code: o.Code, Message: o.Message}
	var extra []string
	if o.Status == http.StatusMethodNotAllowed {
		extra = append(extra, "Allow", http.MethodPost)
	}
	if v := o.retryAfterHeader(); v != "" {
		extra = append(extra, "Retry-After", v)
	}
	return jsonResponse(o.Status, body, extra...)
}
