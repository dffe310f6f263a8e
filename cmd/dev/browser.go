package main

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/auth0-sam-go/authapi/examples/browser"
)

// The reference browser client (examples/browser) is served from its own
// origin, WEB_PORT (default 3001) on the API's host, so the browser applies
// CORS to every API call exactly as it does for an app calling a deployed
// stack. DefaultCorsOrigins includes it.
const defaultWebPort = "3001"

// pageHandler serves the page. A visit without ?api= is sent to the same
// page with the API's URL on the host the browser used (localhost or
// 127.0.0.1), so the bare origin works.
func pageHandler(apiPort string) http.Handler {
	page := browser.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" && !r.URL.Query().Has("api") {
			host := r.Host
			if h, _, err := net.SplitHostPort(r.Host); err == nil {
				host = h
			}
			api := "http://" + net.JoinHostPort(host, apiPort)
			http.Redirect(w, r, "/?api="+url.QueryEscape(api), http.StatusFound)
			return
		}
		page.ServeHTTP(w, r)
	})
}

// startPage serves the page next to the API listening on apiAddr and
// returns the page's URL; the caller closes the server.
func startPage(apiAddr net.Addr) (*http.Server, string, error) {
	host, apiPort, err := net.SplitHostPort(apiAddr.String())
	if err != nil {
		return nil, "", err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, envOr("WEB_PORT", defaultWebPort)))
	if err != nil {
		return nil, "", fmt.Errorf("browser client: %w (set WEB_PORT to another port, and allow its origin in CORS)", err)
	}
	srv := &http.Server{Handler: pageHandler(apiPort), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	origin := "http://" + net.JoinHostPort(host, port)
	if _, ok := parseOrigins(envOr("CORS_ORIGINS", DefaultCorsOrigins)).allowed(origin); !ok {
		fmt.Fprintf(os.Stderr, "CORS_ORIGINS lacks %s: the browser will block the page's calls until you add it\n", origin)
	}
	return srv, origin + "/", nil
}
