package verify

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// LambdaHandler is the shape lambda.Start takes for an HTTP API (payload
// 2.0) route.
type LambdaHandler = func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// Lambda verifies the bearer token of each event before next runs, for
// functions that no API Gateway authorizer protects (function URLs, private
// integrations). Refusals are the answers Middleware gives. On success next
// gets the claims in its context (ClaimsFrom) and in
// RequestContext.Authorizer.JWT.Claims, filled as API Gateway's JWT
// authorizer fills them, so a handler written for the authorizer works
// unchanged behind this wrapper.
func Lambda(v *Verifier, next LambdaHandler) LambdaHandler {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		c, err := v.check(ctx, header(ev.Headers, "authorization"))
		if err != nil {
			status, headers, body := v.refusal(err)
			return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: headers, Body: string(body)}, nil
		}
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: GatewayClaims(c)},
		}
		return next(WithClaims(ctx, c), ev)
	}
}

// header finds a header whatever its case: API Gateway lower-cases names in
// payload 2.0, hand-made events often do not.
func header(h map[string]string, name string) string {
	if v, ok := h[name]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// GatewayClaims renders c's claims the way the API Gateway JWT authorizer
// puts them in requestContext.authorizer.jwt.claims: every value a string;
// numbers in decimal ("exp": "1773220500"), booleans as true/false, arrays
// as "[a b]", objects as JSON text; null claims left out.
func GatewayClaims(c *Claims) map[string]string {
	out := make(map[string]string, len(c.Raw))
	for k, v := range c.Raw {
		if v == nil {
			continue
		}
		out[k] = gatewayValue(v)
	}
	return out
}

func gatewayValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, len(x))
		for i, item := range x {
			parts[i] = gatewayValue(item)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case []string:
		return "[" + strings.Join(x, " ") + "]"
	}
	data, _ := json.Marshal(v)
	return string(data)
}
