package main

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// DefaultCorsOrigins are the browser origins allowed to call the API when
// none are configured: the example page (port 3001) and the usual SPA dev
// servers (3000, 5173, 8080), by name and by address. template.yaml's
// CorsAllowedOrigins and samconfig.toml carry the same list.
const DefaultCorsOrigins = "http://localhost:3000,http://127.0.0.1:3000," +
	"http://localhost:3001,http://127.0.0.1:3001," +
	"http://localhost:5173,http://127.0.0.1:5173," +
	"http://localhost:8080,http://127.0.0.1:8080"

// The rest of the HTTP API's CorsConfiguration, as template.yaml sets it.
const (
	corsAllowMethods  = "GET,POST,DELETE"
	corsAllowHeaders  = "authorization,content-type"
	corsExposeHeaders = "retry-after,www-authenticate"
	corsMaxAge        = 600 // seconds
)

// corsRule is what API Gateway does with an HTTP API's CorsConfiguration:
// it answers preflights itself, before any route or authorizer, and adds
// Access-Control-Allow-Origin to every answer for an allowed origin. Other
// origins get no CORS headers, so the browser keeps the answer from the
// page. No credentials are allowed: the API takes tokens, not cookies.
type corsRule struct {
	origins []string // exact origins; "*" allows any
}

// parseOrigins reads a comma-separated list (CORS_ORIGINS).
func parseOrigins(list string) corsRule {
	var r corsRule
	for _, o := range strings.Split(list, ",") {
		if o = strings.TrimSpace(o); o != "" {
			r.origins = append(r.origins, strings.TrimSuffix(o, "/"))
		}
	}
	return r
}

func (c corsRule) allowed(origin string) (string, bool) {
	switch {
	case origin == "":
		return "", false
	case slices.Contains(c.origins, "*"):
		return "*", true
	case slices.Contains(c.origins, origin):
		return origin, true
	}
	return "", false
}

func (c corsRule) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		allow, ok := c.allowed(r.Header.Get("Origin"))
		if r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != "" {
			if ok {
				h := w.Header()
				h.Set("Access-Control-Allow-Origin", allow)
				h.Set("Access-Control-Allow-Methods", corsAllowMethods)
				h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
				h.Set("Access-Control-Max-Age", strconv.Itoa(corsMaxAge))
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if ok {
			w.Header().Set("Access-Control-Allow-Origin", allow)
			w.Header().Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		next.ServeHTTP(w, r)
	})
}
