package browser

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Result()
}

func TestHandlerServesThePage(t *testing.T) {
	h := Handler()
	for path, wantType := range map[string]string{
		"/":          "text/html",
		"/app.js":    "text/javascript", // module scripts need a JavaScript MIME type
		"/api.js":    "text/javascript",
		"/style.css": "text/css",
	} {
		resp := get(t, h, "GET", path)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), wantType) {
			t.Errorf("GET %s: %d %q, want 200 %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), wantType)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy %q", path, csp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no nosniff", path)
		}
	}
	if resp := get(t, h, "GET", "/browser.go"); resp.StatusCode != 404 {
		t.Errorf("GET /browser.go: %d, want 404 (only the page's files are served)", resp.StatusCode)
	}
	if resp := get(t, h, "POST", "/"); resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /: %d Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := fs.ReadFile(FS(), name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The page refers only to its own files (nothing from a CDN: it must work
// offline), and every element app.js looks up exists.
func TestPageIsSelfContained(t *testing.T) {
	html := read(t, "index.html")
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(html, -1) {
		ref := m[1]
		if ref == "data:," {
			continue
		}
		if _, err := fs.Stat(FS(), ref); err != nil {
			t.Errorf("index.html refers to %q, which is not one of the page's files", ref)
		}
	}
	for _, name := range []string{"app.js", "api.js"} {
		for _, m := range regexp.MustCompile(`(?m)^import .* from '([^']+)'`).FindAllStringSubmatch(read(t, name), -1) {
			if _, err := fs.Stat(FS(), strings.TrimPrefix(m[1], "./")); err != nil || !strings.HasPrefix(m[1], "./") {
				t.Errorf("%s imports %q, which is not one of the page's files", name, m[1])
			}
		}
	}
	app := read(t, "app.js")
	ids := regexp.MustCompile(`\$\('([\w-]+)'\)`).FindAllStringSubmatch(app, -1)
	if len(ids) < 20 {
		t.Fatalf("found %d element lookups in app.js; the pattern no longer matches the code", len(ids))
	}
	for _, m := range ids {
		if !strings.Contains(html, `id="`+m[1]+`"`) {
			t.Errorf("app.js uses #%s, which index.html lacks", m[1])
		}
	}
}
