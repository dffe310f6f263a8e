package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Route is one method and path a function serves.
type Route struct {
	Method  string
	Path    string
	Handler Handler
}

// NewRouter returns the handler of a function that serves several routes.
// It matches the method exactly (HTTP methods are case-sensitive: "post" is
// not POST) and the path as API Gateway gives it. An unknown path answers
// 404 not_found; a known path with another method 405 and Allow, except
// OPTIONS, which answers 204 and Allow.
func NewRouter(logger *slog.Logger, routes ...Route) Handler {
	allow := map[string][]string{}
	handlers := map[string]Handler{}
	for _, r := range routes {
		allow[r.Path] = append(allow[r.Path], r.Method)
		handlers[r.Method+" "+r.Path] = r.Handler
	}
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		method, path := ev.RequestContext.HTTP.Method, requestPath(&ev)
		if h, ok := handlers[method+" "+path]; ok {
			return h(ctx, ev)
		}
		methods, known := allow[path]
		if known && method == http.MethodOptions {
			// The template routes ANY /path here, so a CORS preflight may
			// reach the function; 204 lets the HTTP API's CorsConfiguration
			// add its headers to an answer the browser accepts.
			return logged(ctx, logger, "OPTIONS "+path, func(*requestLog) (events.APIGatewayV2HTTPResponse, string) {
				resp := emptyResponse(http.StatusNoContent)
				resp.Headers["Allow"] = strings.Join(methods, ", ")
				return resp, ""
			}), nil
		}
		route, err := "unknown route", error(errNotFound)
		if known {
			route = "* " + path
			err = &RequestError{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
				Message: "use " + strings.Join(methods, " or "), allow: strings.Join(methods, ", ")}
		}
		return logged(ctx, logger, route, func(l *requestLog) (events.APIGatewayV2HTTPResponse, string) {
			l.failure = err
			return failure(err)
		}), nil
	}
}

var errNotFound = &RequestError{Status: http.StatusNotFound, Code: "not_found", Message: "no such route"}

// requestPath is the path of the request as API Gateway routed it.
func requestPath(ev *events.APIGatewayV2HTTPRequest) string {
	if p := ev.RequestContext.HTTP.Path; p != "" {
		return p
	}
	return ev.RawPath
}
