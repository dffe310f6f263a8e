// Package browser is the reference browser client: one static page (plain
// HTML and JavaScript modules, no framework, no build step, nothing fetched
// from elsewhere) that signs users up and in, through the MFA step, calls
// GET /me, refreshes and signs out. `make dev` serves it from its own
// origin, so the browser applies CORS to every API call as it does for a
// deployed app. api.js is the client a real app would copy.
package browser

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed index.html style.css app.js api.js
var files embed.FS

// FS returns the page's files.
func FS() fs.FS { return files }

// contentSecurityPolicy lets the page run only its own scripts and styles
// (no inline code) and call any http(s) API: the API's URL is a field.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src http: https:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler serves the page with the headers a deployment of it should send
// too: the Content-Security-Policy above, no referrer, no MIME sniffing.
func Handler() http.Handler {
	static := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-cache")
		static.ServeHTTP(w, r)
	})
}
