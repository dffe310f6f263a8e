package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/auth0-sam-go/authapi/internal/api"
	"github.com/auth0-sam-go/authapi/pkg/auth0"
	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
	"github.com/auth0-sam-go/authapi/pkg/auth0/verify"
)

// These tests drive the reference browser client (examples/browser) in a
// real headless Chromium against make dev's servers, started in-process:
// the API on one port, the page on another (so every call is cross-origin
// and the browser enforces CORS), and the embedded Auth0 emulator.

// chromiumPath finds a Chromium or Chrome to drive, or skips the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the browser tests start Chromium")
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium found on PATH (Debian: apt-get install -y chromium): the browser tests are skipped")
	return ""
}

// devStack is what make dev runs, on free ports.
type devStack struct {
	emu        *auth0test.Server
	api        string // the API's base URL
	page       string // the page's URL, with ?api=
	pageOrigin string
}

// startDevStack starts the emulator with cfg, the API as make dev serves
// it (CORS allowing only the page's origin) and the page.
func startDevStack(t *testing.T, cfg auth0test.Config) devStack {
	t.Helper()
	emu := auth0test.NewServer(cfg)
	t.Cleanup(emu.Close)
	c := emu.Config()
	acfg := auth0.Config{BaseURL: emu.URL, ClientID: c.ClientID, Audience: c.Audience,
		Connection: c.Connection, Scope: devScope}
	v, err := verify.New(acfg.BaseURL, acfg.Audience)
	if err != nil {
		t.Fatal(err)
	}
	pageSrv := httptest.NewUnstartedServer(nil)
	pageOrigin := "http://" + pageSrv.Listener.Addr().String()
	apiSrv := httptest.NewServer(newHandler(auth0.NewClient(acfg, nil), staticSecret(c.ClientSecret), v,
		api.NewLogger(io.Discard), pageOrigin))
	t.Cleanup(apiSrv.Close)
	_, apiPort, _ := net.SplitHostPort(apiSrv.Listener.Addr().String())
	pageSrv.Config.Handler = pageHandler(apiPort)
	pageSrv.Start()
	t.Cleanup(pageSrv.Close)
	return devStack{emu: emu, api: apiSrv.URL, page: pageOrigin + "/?api=" + apiSrv.URL, pageOrigin: pageOrigin}
}

// tab is the page open in a fresh headless Chromium.
type tab struct {
	t   *testing.T
	ctx context.Context
	seq int // the #outcome data-seq of the last action waited for

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// openPage starts chromium with a fresh profile, opens url and waits for
// the page to have set itself up.
func openPage(t *testing.T, chromium, url string) *tab {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		// Chromium refuses to run as root with its sandbox (CI runs as root).
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		// No connection of Chromium's own (updates, field trials, QUIC
		// probes): only the page's calls, which a closed network allows.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1100, 1400),
	)
	// A bound on the whole browser session, so a stuck page fails the test
	// with a clear error instead of hanging until go test's timeout.
	bound, cancelBound := context.WithTimeout(context.Background(), 3*time.Minute)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(bound, opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	stop := func() {
		cancel()
		cancelAlloc()
		cancelBound()
	}
	if err := chromedp.Do(ctx); err != nil {
		stop()
		t.Fatalf("starting Chromium: %v", err)
	}
	p := &tab{t: t, ctx: ctx}
	messages := chromedp.Console(ctx)
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for m, err := range messages {
			if err != nil || m.Text == consoleEnd {
				return
			}
			p.mu.Lock()
			p.console = append(p.console, m)
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		// The page's messages come in order: once the marker is in, all
		// the others are.
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`console.debug('`+consoleEnd+`')`)); err != nil {
			t.Errorf("ending the console: %v", err)
			stop()
		}
		<-collected
		stop()
		p.checkConsole()
	})
	p.do(chromedp.Navigate(url))
	p.waitOutcome("load")
	return p
}

// consoleEnd marks the end of the page's console messages.
const consoleEnd = "end of the test"

// An API error answer is a network log entry in Chromium's console; the
// page shows those itself. Any other error is a failure.
var expectedHTTPError = regexp.MustCompile(`^Failed to load resource: the server responded with a status of 4\d\d `)

func (p *tab) checkConsole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.console {
		switch {
		case m.Source == "network" && expectedHTTPError.MatchString(m.Text):
		case m.Type == chromedp.ConsoleError || m.IsException():
			p.t.Errorf("browser console: %s (%s:%d)", m, m.URL, m.Line+1)
		case m.Type == chromedp.ConsoleWarning:
			p.t.Logf("browser console: %s", m)
		}
	}
}

func (p *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.t.Fatal(err)
	}
}

func get[T any](p *tab, a chromedp.Action[T]) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, a)
	if err != nil {
		p.t.Fatal(err)
	}
	return v
}

// waitOutcome waits for the page to finish its next action (#outcome's
// data-seq goes up by one) and returns the result: ok, error or mfa.
func (p *tab) waitOutcome(action string) string {
	p.t.Helper()
	p.seq++
	js := fmt.Sprintf(`(() => { const o = document.getElementById('outcome');
		return o.dataset.seq === '%d' && [o.dataset.action, o.dataset.result]; })()`, p.seq)
	got := get(p, chromedp.Poll[[]string](js, chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(0)))
	if got[0] != action {
		p.t.Fatalf("the page finished %q, want %q", got[0], action)
	}
	return got[1]
}

// click presses a button and waits for the action it starts.
func (p *tab) click(button string) string {
	p.t.Helper()
	p.do(chromedp.Click(chromedp.ID(button)))
	return p.waitOutcome(button)
}

func (p *tab) set(id, value string) {
	p.t.Helper()
	p.do(chromedp.SetValue(chromedp.ID(id), value))
}

func (p *tab) text(id string) string {
	p.t.Helper()
	return get(p, chromedp.TextContent(chromedp.ID(id)))
}

func (p *tab) state() string {
	p.t.Helper()
	return get(p, chromedp.Evaluate[string](`document.body.dataset.state`))
}

// shownError is what #error shows.
type shownError struct {
	Hidden  bool     `json:"hidden"`
	Code    string   `json:"code"`
	Status  string   `json:"status"`
	Message string   `json:"message"`
	Rules   []string `json:"rules"`
}

func (p *tab) shownError() shownError {
	p.t.Helper()
	return get(p, chromedp.Evaluate[shownError](`(() => {
		const e = document.getElementById('error');
		return {hidden: e.hidden, code: e.dataset.code ?? '', status: e.dataset.status ?? '',
			message: document.getElementById('error-message').textContent,
			rules: [...document.querySelectorAll('#error-rules li')].map((li) => li.textContent)};
	})()`))
}

// wantError checks that the last action failed and the page shows code.
func (p *tab) wantError(result, code, status string) shownError {
	p.t.Helper()
	e := p.shownError()
	if result != "error" || e.Hidden || e.Code != code || e.Status != status || e.Message == "" {
		p.t.Fatalf("result %q, shown error %+v; want code %s, HTTP %s and a message", result, e, code, status)
	}
	return e
}

func (p *tab) wantOK(result string) {
	p.t.Helper()
	if result != "ok" {
		p.t.Fatalf("result %q, shown error %+v", result, p.shownError())
	}
}

func (p *tab) screenshot(name string) {
	p.t.Helper()
	png := get(p, chromedp.FullScreenshot(100))
	path := filepath.Join(os.TempDir(), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot of the signed-in page: %s", path)
}

const goodPassword = "Correct-Horse-42"

// The journey without MFA: sign up (a weak password first), sign in, /me,
// refresh, three calls sharing one refresh, sign out, password reset, and
// a session kept across a reload in sessionStorage.
func TestBrowserJourney(t *testing.T) {
	chromium := chromiumPath(t)
	dev := startDevStack(t, auth0test.Config{})
	p := openPage(t, chromium, dev.page)

	if got := p.text("origin"); got != dev.pageOrigin {
		t.Fatalf("#origin shows %q, want %q", got, dev.pageOrigin)
	}
	if got := get(p, chromedp.Value(chromedp.ID("api-base"))); got != dev.api {
		t.Fatalf("#api-base is %q, want %q (from ?api=)", got, dev.api)
	}

	const email = "jane@example.com"
	p.set("email", email)
	p.set("password", "alllowercase")
	weak := p.wantError(p.click("signup"), "weak_password", "400")
	if len(weak.Rules) == 0 || !strings.Contains(strings.Join(weak.Rules, "\n"), "upper case") {
		t.Fatalf("weak_password rules shown: %q (message %q)", weak.Rules, weak.Message)
	}

	p.set("password", goodPassword)
	p.wantOK(p.click("signup"))
	userID := p.text("signup-user")
	if !strings.HasPrefix(userID, "auth0|") {
		t.Fatalf("signup shows user %q", userID)
	}

	p.set("password", "Wrong-Horse-42")
	p.wantError(p.click("signin"), "invalid_credentials", "401")
	if p.state() != "signed-out" {
		t.Fatalf("state %q after a wrong password", p.state())
	}

	p.set("password", goodPassword)
	p.wantOK(p.click("signin"))
	if s := p.state(); s != "signed-in" {
		t.Fatalf("state %q after signing in", s)
	}
	if got := p.text("me-user"); got != userID {
		t.Fatalf("GET /me shows user %q, want %q", got, userID)
	}
	if got := p.text("refresh-info"); !strings.HasPrefix(got, "in memory") {
		t.Fatalf("refresh token: %q", got)
	}
	p.screenshot("authapi-browser-signed-in.png")

	p.wantOK(p.click("me"))
	p.wantOK(p.click("refresh"))
	if got := p.text("refresh-count"); got != "1" {
		t.Fatalf("refreshes after Refresh: %s", got)
	}
	// Three calls get a 401 each and share one refresh.
	p.wantOK(p.click("burst"))
	if got := get(p, chromedp.Evaluate[string](`document.getElementById('burst-out').dataset.refreshes`)); got != "1" {
		t.Fatalf("the three calls made %s refreshes, want 1", got)
	}
	if got := p.text("refresh-count"); got != "2" {
		t.Fatalf("refreshes in all: %s", got)
	}

	p.wantOK(p.click("signout"))
	if s, n := p.state(), p.text("notice"); s != "signed-out" || !strings.HasPrefix(n, "Signed out: the refresh token is revoked") {
		t.Fatalf("after signing out: state %q, notice %q", s, n)
	}

	// Password reset: the same answer for an unknown address, and the
	// emulator "sends" the email only to the real one.
	p.wantOK(p.click("reset"))
	notice := p.text("notice")
	if !strings.Contains(notice, "If an account exists") {
		t.Fatalf("password reset notice: %q", notice)
	}
	p.set("email", "nobody@example.com")
	p.wantOK(p.click("reset"))
	if got := p.text("notice"); got != notice {
		t.Fatalf("password reset for an unknown address: %q, want %q", got, notice)
	}
	var sent []string
	for _, m := range dev.emu.Messages() {
		if m.Kind == auth0test.MessagePasswordReset {
			sent = append(sent, m.To)
		}
	}
	if len(sent) != 1 || sent[0] != email {
		t.Fatalf("password-reset emails sent to %q, want [%s]", sent, email)
	}

	// With the refresh token in sessionStorage, the session survives a
	// reload of the tab; signing out revokes that token.
	p.set("email", email)
	p.set("password", goodPassword)
	p.do(chromedp.Click(chromedp.ID("remember")))
	p.wantOK(p.click("signin"))
	if got := p.text("refresh-info"); !strings.HasPrefix(got, "in sessionStorage") {
		t.Fatalf("refresh token: %q", got)
	}
	p.do(chromedp.Reload())
	p.seq = 0
	p.wantOK(p.waitOutcome("load"))
	if s, n := p.state(), p.text("notice"); s != "signed-in" || !strings.HasPrefix(n, "Session restored") {
		t.Fatalf("after a reload: state %q, notice %q", s, n)
	}
	p.wantOK(p.click("me"))
	if got, n := p.text("me-user"), p.text("refresh-count"); got != userID || n != "1" {
		t.Fatalf("after a reload: /me user %q after %s refreshes, want %q after 1", got, n, userID)
	}
	stored := get(p, chromedp.Evaluate[string](`sessionStorage.getItem('authapi.refresh_token') ?? ''`))
	p.wantOK(p.click("signout"))
	if left := get(p, chromedp.Evaluate[int](`sessionStorage.length`)); left != 0 {
		t.Fatalf("sessionStorage keeps %d items after signing out", left)
	}
	if status, code := postJSON(t, dev.api+"/token", map[string]string{"grant_type": "refresh_token", "refresh_token": stored}); status != 401 || code != "session_expired" {
		t.Fatalf("refreshing with the signed-out token: %d %s, want 401 session_expired", status, code)
	}
}

// postJSON posts body to url and returns the status and the error code.
func postJSON(t *testing.T, url string, body any) (int, string) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct{ Code string }
	json.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, e.Code
}

func (p *tab) visible(id string) bool {
	p.t.Helper()
	return get(p, chromedp.Evaluate[bool](fmt.Sprintf(`!document.getElementById(%q).closest('[hidden]')`, id)))
}

// wrongTOTP is a code the authenticator does not show now (nor one step
// either side, which the emulator also accepts).
func wrongTOTP(secret string) string {
	now := time.Now()
	valid := map[string]bool{}
	for _, d := range []time.Duration{-time.Minute, -30 * time.Second, 0, 30 * time.Second, time.Minute} {
		valid[auth0test.TOTP(secret, now.Add(d))] = true
	}
	for i := 0; ; i++ {
		if c := fmt.Sprintf("%06d", i); !valid[c] {
			return c
		}
	}
}

// The MFA journey with a tenant that requires MFA: the first sign-in
// enrolls an authenticator app (the test computes its code), the next one
// uses the recovery code shown at enrollment and gets a new one, and the
// used code is refused after that.
func TestBrowserMFAJourney(t *testing.T) {
	chromium := chromiumPath(t)
	dev := startDevStack(t, auth0test.Config{MFARequired: true})
	p := openPage(t, chromium, dev.page)

	p.set("email", "mfa@example.com")
	p.set("password", goodPassword)
	p.wantOK(p.click("signup"))
	userID := p.text("signup-user")

	if got := p.click("signin"); got != "mfa" {
		t.Fatalf("sign in with MFA required: %q, error %+v", got, p.shownError())
	}
	if p.state() != "mfa" || !p.visible("mfa-enroll-step") || p.visible("mfa-code-step") {
		t.Fatalf("a user with no factor: state %q, enroll shown %v, code shown %v",
			p.state(), p.visible("mfa-enroll-step"), p.visible("mfa-code-step"))
	}
	p.wantOK(p.click("mfa-enroll"))
	uri, secret := p.text("mfa-uri"), p.text("mfa-secret")
	if !strings.HasPrefix(uri, "otpauth://totp/") || secret == "" || !strings.Contains(uri, "secret="+secret) {
		t.Fatalf("enrollment shows URI %q and secret %q", uri, secret)
	}
	recovery := get(p, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#mfa-recovery-codes li')].map((li) => li.textContent)`))
	if len(recovery) != 1 || recovery[0] == "" {
		t.Fatalf("recovery codes shown at enrollment: %q", recovery)
	}

	p.set("mfa-otp", wrongTOTP(secret))
	p.wantError(p.click("mfa-verify"), "invalid_mfa_code", "401")
	if p.state() != "mfa" {
		t.Fatalf("state %q after a wrong code, want mfa (try again)", p.state())
	}
	p.set("mfa-otp", auth0test.TOTP(secret, time.Now()))
	p.wantOK(p.click("mfa-verify"))
	if s, got := p.state(), p.text("me-user"); s != "signed-in" || got != userID {
		t.Fatalf("after the code: state %q, /me user %q, want %q", s, got, userID)
	}
	p.wantOK(p.click("signout"))

	// Enrolled now: the page asks for the code, or a recovery code.
	p.set("password", goodPassword)
	if got := p.click("signin"); got != "mfa" {
		t.Fatalf("second sign-in: %q, error %+v", got, p.shownError())
	}
	if p.visible("mfa-enroll-step") || !p.visible("mfa-code-step") {
		t.Fatal("an enrolled user is offered to enroll again")
	}
	p.set("mfa-recovery-code", recovery[0])
	p.wantOK(p.click("mfa-recover"))
	fresh := p.text("new-recovery-code")
	if !p.visible("new-recovery-box") || fresh == "" || fresh == recovery[0] {
		t.Fatalf("new recovery code shown: %q (visible %v), the used one was %q", fresh, p.visible("new-recovery-box"), recovery[0])
	}
	if got := p.text("me-user"); got != userID {
		t.Fatalf("/me after the recovery code: %q, want %q", got, userID)
	}
	p.wantOK(p.click("signout"))

	p.set("password", goodPassword)
	if got := p.click("signin"); got != "mfa" {
		t.Fatalf("third sign-in: %q", got)
	}
	p.set("mfa-recovery-code", recovery[0])
	p.wantError(p.click("mfa-recover"), "invalid_mfa_code", "401")
	if p.state() != "mfa" {
		t.Fatalf("state %q after a used recovery code", p.state())
	}
}

// make dev's page origin, by name and by address, is allowed by default.
func TestDefaultCorsOriginsAllowThePage(t *testing.T) {
	rule := parseOrigins(DefaultCorsOrigins)
	for _, origin := range []string{"http://localhost:" + defaultWebPort, "http://127.0.0.1:" + defaultWebPort} {
		if _, ok := rule.allowed(origin); !ok {
			t.Errorf("DefaultCorsOrigins lacks %s, the browser client's origin", origin)
		}
	}
}

// The page's bare origin sends the browser to the page with the API's URL,
// on the host name the browser used; with ?api= it is the page.
func TestPageHandlerPointsAtTheAPI(t *testing.T) {
	h := pageHandler("3000")
	for host, want := range map[string]string{
		"localhost:3001": "http://localhost:3000",
		"127.0.0.1:3001": "http://127.0.0.1:3000",
		"[::1]:3001":     "http://[::1]:3000",
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "http://"+host+"/", nil)
		h.ServeHTTP(rec, req)
		loc, err := url.Parse(rec.Header().Get("Location"))
		if rec.Code != http.StatusFound || err != nil || loc.Path != "/" || loc.Query().Get("api") != want {
			t.Errorf("GET / on %s: %d Location %q, want /?api=%s", host, rec.Code, rec.Header().Get("Location"), want)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://localhost:3001/?api=https://api.example.com", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `<script type="module" src="app.js">`) {
		t.Errorf("GET /?api=…: %d, want the page", rec.Code)
	}
}
