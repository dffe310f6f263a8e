package api

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"go.uber.org/goleak"
)

// Every log line written by this package's tests is kept, and so is every
// credential the tests send or receive. TestMain fails the run if any of
// them shows up in any log: passwords, client secrets, tokens, and emails
// (which must appear masked only).
var leaks struct {
	mu        sync.Mutex
	logs      []*syncBuffer
	sensitive map[string]string // value -> what it is
}

func recordLogs(t *testing.T, b *syncBuffer) {
	leaks.mu.Lock()
	defer leaks.mu.Unlock()
	leaks.logs = append(leaks.logs, b)
}

// sensitive registers values that must never be logged. Short ones (a
// 6-digit OTP) would match by chance inside other text, so they are looked
// for as whole JSON strings, the way a log line would carry them.
func sensitive(kind string, values ...string) {
	leaks.mu.Lock()
	defer leaks.mu.Unlock()
	if leaks.sensitive == nil {
		leaks.sensitive = map[string]string{}
	}
	for _, v := range values {
		switch {
		case len(v) >= 8:
			leaks.sensitive[v] = kind
		case len(v) >= 4:
			leaks.sensitive[`"`+v+`"`] = kind
		}
	}
}

// mfaFields are the request and answer fields that carry MFA credentials.
var mfaFields = []string{"mfa_token", "otp", "oob_code", "binding_code", "recovery_code", "secret", "barcode_uri", "refresh_token"}

// noteEvent registers the credentials a request carries, in a JSON or a
// form body or as a bearer token: password, refresh token, authorization
// code, code verifier, MFA tokens and codes, and email.
func noteEvent(ev events.APIGatewayV2HTTPRequest) {
	body := ev.Body
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return
		}
		body = string(b)
	}
	if bearer, ok := strings.CutPrefix(header(ev.Headers, "authorization"), "Bearer "); ok {
		sensitive("bearer token", bearer)
	}
	m := map[string]string{}
	var obj map[string]any
	if json.Unmarshal([]byte(body), &obj) == nil {
		for k, v := range obj {
			if s, ok := v.(string); ok {
				m[k] = s
			}
		}
	} else if form, err := url.ParseQuery(body); err == nil {
		for k, v := range form {
			m[k] = v[0]
		}
	}
	for _, k := range append([]string{"password", "code", "code_verifier"}, mfaFields...) {
		if v, ok := m[k]; ok {
			sensitive(k, v)
		}
	}
	// Invalid addresses are never logged, and some ("@example.com") are
	// what a masked address ends with.
	for _, k := range []string{"email", "username"} {
		if e, ok := m[k]; ok && checkEmail(e) == nil {
			sensitive("unmasked email", e)
		}
	}
}

// noteAnswer registers the tokens, MFA secrets and codes a response
// carries.
func noteAnswer(body map[string]any) {
	for _, k := range append([]string{"data", "access_token"}, mfaFields...) {
		if v, ok := body[k].(string); ok {
			sensitive(k, v)
		}
	}
	if codes, ok := body["recovery_codes"].([]any); ok {
		for _, c := range codes {
			if v, ok := c.(string); ok {
				sensitive("recovery code", v)
			}
		}
	}
}

// TestMain also fails the run if a goroutine outlives the tests: a
// connection, server, timer or retry that was never stopped.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := leftoverGoroutines(10 * time.Second); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL: goroutines left behind:", err)
			code = 1
		}
	}
	if code == 0 {
		if hits := scanLeaks(); len(hits) > 0 {
			fmt.Fprintln(os.Stderr, "FAIL: credentials found in log output:")
			for _, h := range hits {
				fmt.Fprintln(os.Stderr, "  ", h)
			}
			code = 1
		} else {
			leaks.mu.Lock()
			fmt.Printf("leak scan: %d sensitive values, %d log buffers, no hits\n", len(leaks.sensitive), len(leaks.logs))
			leaks.mu.Unlock()
		}
	}
	os.Exit(code)
}

// leftoverGoroutines asks goleak for goroutines other than the test
// runner's until none are left or settle has passed: closed connections
// and servers take a moment to wind down, longer on a loaded machine.
func leftoverGoroutines(settle time.Duration, opts ...goleak.Option) error {
	deadline := time.Now().Add(settle)
	for {
		err := goleak.Find(opts...)
		if err == nil || time.Now().After(deadline) {
			return err
		}
	}
}

func scanLeaks() []string {
	leaks.mu.Lock()
	defer leaks.mu.Unlock()
	var hits []string
	for _, b := range leaks.logs {
		text := b.String()
		for v, kind := range leaks.sensitive {
			if strings.Contains(text, v) {
				hits = append(hits, fmt.Sprintf("%s %.12q...", kind, v))
			}
		}
	}
	return hits
}

// TestLeakScanFindsPlantedSecret proves the scan is not vacuous.
func TestLeakScanFindsPlantedSecret(t *testing.T) {
	b := &syncBuffer{}
	b.Write([]byte(`{"msg":"oops","password":"planted-Secret-123"}`))
	leaks.mu.Lock()
	saved, savedLogs := leaks.sensitive, leaks.logs
	leaks.sensitive, leaks.logs = map[string]string{"planted-Secret-123": "password"}, []*syncBuffer{b}
	leaks.mu.Unlock()
	hits := scanLeaks()
	leaks.mu.Lock()
	leaks.sensitive, leaks.logs = saved, savedLogs
	leaks.mu.Unlock()
	if len(hits) != 1 {
		t.Fatalf("scan found %d hits in a planted log, want 1", len(hits))
	}
}

// TestLeakScanFindsShortCodes: a 6-digit OTP is found as a JSON string,
// and not inside other digits.
func TestLeakScanFindsShortCodes(t *testing.T) {
	leaks.mu.Lock()
	saved, savedLogs := leaks.sensitive, leaks.logs
	leaks.sensitive, leaks.logs = nil, nil
	leaks.mu.Unlock()
	defer func() {
		leaks.mu.Lock()
		leaks.sensitive, leaks.logs = saved, savedLogs
		leaks.mu.Unlock()
	}()
	sensitive("otp", "123456")
	clean, leaky := &syncBuffer{}, &syncBuffer{}
	clean.Write([]byte(`{"timestamp":"2030-01-01T12:00:00.123456Z","duration_ms":1123456}`))
	leaky.Write([]byte(`{"msg":"x","otp":"123456"}`))
	leaks.mu.Lock()
	leaks.logs = []*syncBuffer{clean}
	leaks.mu.Unlock()
	if hits := scanLeaks(); len(hits) != 0 {
		t.Fatalf("false hits: %v", hits)
	}
	leaks.mu.Lock()
	leaks.logs = []*syncBuffer{leaky}
	leaks.mu.Unlock()
	if hits := scanLeaks(); len(hits) != 1 {
		t.Fatalf("%d hits in a planted log, want 1", len(hits))
	}
}
