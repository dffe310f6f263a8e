package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/auth0-sam-go/authapi/pkg/auth0/auth0test"
)

// emfUnits are the units CloudWatch accepts.
var emfUnits = []string{"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
	"Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
	"Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
	"Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None"}

// emfMetricOf is one metric a line defines: its value, unit, namespace
// and dimensions (name → value).
type emfMetricOf struct {
	value      float64
	unit, ns   string
	dimensions map[string]string
}

// parseEMF checks line against the embedded metric format specification
// and returns the metrics it defines, by name. Each metric must be defined
// once (the README's contract: one dimension set per metric).
func parseEMF(t *testing.T, line string, now time.Time) map[string]emfMetricOf {
	t.Helper()
	var root map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, line)
	}
	var aws struct {
		Timestamp         *json.Number
		CloudWatchMetrics []struct {
			Namespace  *string
			Dimensions [][]string
			Metrics    []struct {
				Name              *string
				Unit              *string
				StorageResolution *int
			}
		}
	}
	raw, ok := root["_aws"]
	if !ok {
		t.Fatalf("no _aws member: %s", line)
	}
	strict := json.NewDecoder(bytes.NewReader(raw))
	strict.DisallowUnknownFields()
	strict.UseNumber()
	if err := strict.Decode(&aws); err != nil {
		t.Fatalf("_aws: %v: %s", err, raw)
	}
	if aws.Timestamp == nil {
		t.Fatalf("_aws.Timestamp missing")
	}
	ts, err := aws.Timestamp.Int64()
	if err != nil || ts < now.Add(-time.Minute).UnixMilli() || ts > time.Now().Add(time.Minute).UnixMilli() {
		t.Fatalf("_aws.Timestamp %v is not this line's time in epoch milliseconds", aws.Timestamp)
	}
	if len(aws.CloudWatchMetrics) == 0 {
		t.Fatalf("no metric directive: %s", raw)
	}
	str := func(name string) (string, bool) {
		var s string
		return s, json.Unmarshal(root[name], &s) == nil && root[name] != nil
	}
	out := map[string]emfMetricOf{}
	for _, d := range aws.CloudWatchMetrics {
		if d.Namespace == nil || *d.Namespace == "" || len(*d.Namespace) > 255 {
			t.Fatalf("directive namespace %v", d.Namespace)
		}
		if d.Dimensions == nil || len(d.Metrics) == 0 || len(d.Metrics) > 100 {
			t.Fatalf("directive needs Dimensions and 1 to 100 Metrics: %+v", d)
		}
		if len(d.Dimensions) != 1 {
			t.Fatalf("directive has %d dimension sets; the contract gives each metric one", len(d.Dimensions))
		}
		dims := map[string]string{}
		for _, set := range d.Dimensions {
			if len(set) == 0 || len(set) > 30 {
				t.Fatalf("dimension set %v", set)
			}
			for _, name := range set {
				v, ok := str(name)
				if !ok || v == "" || len(v) > 1024 {
					t.Fatalf("dimension %s: the line's %s must be a non-empty string, is %s", name, name, root[name])
				}
				dims[name] = v
			}
		}
		for _, m := range d.Metrics {
			if m.Name == nil || *m.Name == "" || len(*m.Name) > 255 {
				t.Fatalf("metric without a name")
			}
			if m.Unit != nil && !slices.Contains(emfUnits, *m.Unit) {
				t.Fatalf("metric %s: unit %q", *m.Name, *m.Unit)
			}
			if m.StorageResolution != nil && *m.StorageResolution != 1 && *m.StorageResolution != 60 {
				t.Fatalf("metric %s: storage resolution %d", *m.Name, *m.StorageResolution)
			}
			var n json.Number
			vdec := json.NewDecoder(bytes.NewReader(root[*m.Name]))
			vdec.UseNumber()
			if vdec.Decode(&n) != nil {
				t.Fatalf("metric %s: the line's value %s is not a number", *m.Name, root[*m.Name])
			}
			v, _ := n.Float64()
			if _, dup := out[*m.Name]; dup {
				t.Fatalf("metric %s is defined twice", *m.Name)
			}
			out[*m.Name] = emfMetricOf{value: v, ns: *d.Namespace, dimensions: dims, unit: unitOf(m.Unit)}
		}
	}
	return out
}

func unitOf(u *string) string {
	if u == nil {
		return ""
	}
	return *u
}

// wantMetric checks one metric of a parsed line.
func wantMetric(t *testing.T, got map[string]emfMetricOf, name, unit string, dims map[string]string) emfMetricOf {
	t.Helper()
	m, ok := got[name]
	if !ok {
		t.Fatalf("no %s metric in %v", name, got)
	}
	ns := MetricsNamespace(os.Getenv)
	if m.ns != ns || m.unit != unit || len(m.dimensions) != len(dims) {
		t.Fatalf("%s: namespace %q, unit %q, dimensions %v; want %q, %q, %v", name, m.ns, m.unit, m.dimensions, ns, unit, dims)
	}
	for k, v := range dims {
		if m.dimensions[k] != v {
			t.Fatalf("%s: dimension %s = %q, want %q", name, k, m.dimensions[k], v)
		}
	}
	return m
}

func lastLine(t *testing.T, logs *syncBuffer) (string, map[string]any) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	line := lines[len(lines)-1]
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatal(err)
	}
	return line, m
}

// TestRequestLineCarriesMetrics: every request's line is an embedded
// metric format document with the README's metrics: Requests by route and
// code ("ok" for a 2xx), Latency by route equal to duration_ms, and
// Auth0Latency equal to auth0_ms only when Auth0 was called.
func TestRequestLineCarriesMetrics(t *testing.T) {
	a := newTestAPI(t, auth0test.Config{})
	a.srv.AddUser(email, goodPassword)
	cases := []struct {
		name, route, code string
		call              func()
		auth0             bool
	}{
		{"token ok", "POST /token", "ok", func() { a.call(a.token, creds(email, goodPassword)) }, true},
		{"token refused", "POST /token", "invalid_credentials", func() { a.call(a.token, creds(email, "Wrong-Horse-43")) }, true},
		{"signup refused", "POST /signup", "invalid_signup", func() { a.call(a.signup, creds(email, goodPassword)) }, true},
		{"bad input, no Auth0 call", "POST /signup", "invalid_request", func() { a.call(a.signup, jsonEvent(`{}`)) }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			c.call()
			line, fields := lastLine(t, a.logs)
			got := parseEMF(t, line, start)
			if r := wantMetric(t, got, "Requests", "Count", map[string]string{"Route": c.route, "Code": c.code}); r.value != 1 {
				t.Fatalf("Requests = %v", r.value)
			}
			if l := wantMetric(t, got, "Latency", "Milliseconds", map[string]string{"Route": c.route}); l.value != fields["duration_ms"] {
				t.Fatalf("Latency %v, duration_ms %v", l.value, fields["duration_ms"])
			}
			if !c.auth0 {
				if _, ok := got["Auth0Latency"]; ok || fields["Auth0Latency"] != nil {
					t.Fatalf("Auth0Latency on a line without an Auth0 call: %s", line)
				}
				if len(got) != 2 {
					t.Fatalf("metrics %v", got)
				}
				return
			}
			if l := wantMetric(t, got, "Auth0Latency", "Milliseconds", map[string]string{"Route": c.route}); l.value != fields["auth0_ms"] || l.value <= 0 {
				t.Fatalf("Auth0Latency %v, auth0_ms %v", l.value, fields["auth0_ms"])
			}
		})
	}
}

// TestColdStartLinesCarryMetrics: the init line, and the init failed line,
// count one ColdStart by route.
func TestColdStartLinesCarryMetrics(t *testing.T) {
	for _, failed := range []bool{false, true} {
		logs := &syncBuffer{}
		recordLogs(t, logs)
		start := time.Now()
		boot := NewInit(logs, "POST /token")
		boot.Phase("config")
		if failed {
			boot.Misconfigured(errors.New("AUTH0_CLIENT_ID: not set"))
		} else {
			boot.Done()
		}
		line, _ := lastLine(t, logs)
		got := parseEMF(t, line, start)
		if m := wantMetric(t, got, "ColdStart", "Count", map[string]string{"Route": "POST /token"}); m.value != 1 || len(got) != 1 {
			t.Fatalf("failed=%v: metrics %v", failed, got)
		}
	}
}

// TestMisconfiguredRequestsAreCounted: the handler of a function that
// cannot serve still writes the metrics of each answer.
func TestMisconfiguredRequestsAreCounted(t *testing.T) {
	logs := &syncBuffer{}
	recordLogs(t, logs)
	h := NewInit(logs, "POST /signup").Misconfigured(errors.New("AUTH0_TOKEN_ISSUER: not set"))
	start := time.Now()
	if _, err := h(context.Background(), creds(email, goodPassword)); err != nil {
		t.Fatal(err)
	}
	line, _ := lastLine(t, logs)
	got := parseEMF(t, line, start)
	wantMetric(t, got, "Requests", "Count", map[string]string{"Route": "POST /signup", "Code": "server_misconfigured"})
}

func TestMetricsNamespaceFromEnvironment(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == EnvMetricsNamespace {
				return v
			}
			return ""
		}
	}
	if got := MetricsNamespace(env("AuthApi/my-stack")); got != "AuthApi/my-stack" {
		t.Fatalf("got %q", got)
	}
	if got := MetricsNamespace(env("")); got != DefaultMetricsNamespace {
		t.Fatalf("unset: got %q", got)
	}
	d := newEMFDirectives("AuthApi/my-stack")
	b, _ := json.Marshal(d.requestAuth0.Any())
	if strings.Count(string(b), `"Namespace":"AuthApi/my-stack"`) != 2 {
		t.Fatalf("directives %s", b)
	}
}
