package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// NewLogger writes JSON lines, the format the template's LoggingConfig
// expects.
func NewLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{ReplaceAttr: lambdaKeys}))
}

// lambdaKeys names the time "timestamp", the key Lambda's JSON log format
// reads, so it keeps our timestamps and levels.
func lambdaKeys(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		a.Key = "timestamp"
	}
	return a
}

// requestLog collects what the one summary line of a request says.
type requestLog struct {
	route      string
	grant      string // /token: the grant sent to Auth0
	email      string
	auth0Time  time.Duration
	auth0Code  string
	auth0HTTP  int
	hint       string
	failure    error
	secretRead bool
}

// observe records what an Auth0 or secret failure said, for the log only.
func (l *requestLog) observe(err error) {
	l.failure = err
	if a0 := asAuth0(err); a0 != nil {
		l.auth0Code, l.auth0HTTP = a0.Code, a0.Status
		if o := OutcomeOf(err); o.Code == "server_misconfigured" {
			l.hint = a0.Hint()
		}
	}
}

func (l *requestLog) write(ctx context.Context, logger *slog.Logger, start time.Time, status int, code string) {
	level := slog.LevelInfo
	switch {
	case status >= 500:
		level = slog.LevelError
	case status >= 400:
		level = slog.LevelWarn
	}
	now := time.Now()
	took := ms(now.Sub(start))
	attrs := make([]slog.Attr, 0, 20)
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		attrs = append(attrs, slog.String("aws_request_id", lc.AwsRequestID))
	}
	attrs = append(attrs,
		slog.String("route", l.route),
		slog.Int("status", status),
		slog.Float64("duration_ms", took),
	)
	if code != "" {
		attrs = append(attrs, slog.String("code", code))
	}
	if l.grant != "" {
		attrs = append(attrs, slog.String("grant", l.grant))
	}
	if l.email != "" {
		attrs = append(attrs, slog.String("email", MaskEmail(l.email)))
	}
	if l.auth0Time > 0 {
		attrs = append(attrs, slog.Float64("auth0_ms", ms(l.auth0Time)))
	}
	if l.auth0HTTP != 0 {
		attrs = append(attrs, slog.Int("auth0_status", l.auth0HTTP))
	}
	if l.auth0Code != "" {
		attrs = append(attrs, slog.String("auth0_code", l.auth0Code))
	}
	if l.secretRead {
		attrs = append(attrs, slog.Bool("secret_reread", true))
	}
	if l.failure != nil && status >= 500 {
		// Error texts of pkg/auth0 and internal/secret carry no credentials.
		attrs = append(attrs, slog.String("error", l.failure.Error()))
	}
	if l.hint != "" {
		attrs = append(attrs, slog.String("fix", l.hint))
	}

	// The metrics (README, Operations): their values and dimensions are
	// top-level fields, which _aws names.
	metricCode := code
	if metricCode == "" {
		metricCode = "ok"
	}
	m := emf()
	directives := m.request
	attrs = append(attrs, slog.String("Route", l.route), slog.String("Code", metricCode),
		slog.Int("Requests", 1), slog.Float64("Latency", took))
	if l.auth0Time > 0 {
		directives = m.requestAuth0
		attrs = append(attrs, slog.Float64("Auth0Latency", ms(l.auth0Time)))
	}
	attrs = append(attrs, emfAttr(now, directives))
	logger.LogAttrs(ctx, level, "request", attrs...)
}

// Metrics go in the log lines in CloudWatch's embedded metric format
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html),
// which CloudWatch Logs extracts with no call from the function.
const (
	// EnvMetricsNamespace names the metrics' namespace; DefaultMetricsNamespace
	// when unset.
	EnvMetricsNamespace     = "METRICS_NAMESPACE"
	DefaultMetricsNamespace = "AuthApi"
)

// MetricsNamespace is the namespace getenv gives.
func MetricsNamespace(getenv func(string) string) string {
	if ns := strings.TrimSpace(getenv(EnvMetricsNamespace)); ns != "" {
		return ns
	}
	return DefaultMetricsNamespace
}

// emfDirectives are the CloudWatchMetrics arrays of each kind of line,
// encoded once: one directive per dimension set.
type emfDirectives struct {
	request, requestAuth0, coldStart slog.Value
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

var emf = sync.OnceValue(func() emfDirectives {
	return newEMFDirectives(MetricsNamespace(os.Getenv))
})

func newEMFDirectives(ns string) emfDirectives {
	encode := func(ds ...emfDirective) slog.Value {
		b, err := json.Marshal(ds)
		if err != nil {
			panic(err) // fixed types: cannot happen
		}
		return slog.AnyValue(json.RawMessage(b))
	}
	requests := emfDirective{Namespace: ns, Dimensions: [][]string{{"Route", "Code"}},
		Metrics: []emfMetric{{Name: "Requests", Unit: "Count"}}}
	latency := emfMetric{Name: "Latency", Unit: "Milliseconds"}
	return emfDirectives{
		request: encode(requests, emfDirective{Namespace: ns, Dimensions: [][]string{{"Route"}},
			Metrics: []emfMetric{latency}}),
		requestAuth0: encode(requests, emfDirective{Namespace: ns, Dimensions: [][]string{{"Route"}},
			Metrics: []emfMetric{latency, {Name: "Auth0Latency", Unit: "Milliseconds"}}}),
		coldStart: encode(emfDirective{Namespace: ns, Dimensions: [][]string{{"Route"}},
			Metrics: []emfMetric{{Name: "ColdStart", Unit: "Count"}}}),
	}
}

// emfAttr is a line's _aws member.
func emfAttr(now time.Time, directives slog.Value) slog.Attr {
	return slog.Attr{Key: "_aws", Value: slog.GroupValue(
		slog.Int64("Timestamp", now.UnixMilli()),
		slog.Attr{Key: "CloudWatchMetrics", Value: directives},
	)}
}

// coldStartAttrs are the metric fields of a cold start's line.
func coldStartAttrs(route string) []slog.Attr {
	return []slog.Attr{slog.String("Route", route), slog.Int("ColdStart", 1), emfAttr(time.Now(), emf().coldStart)}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// MaskEmail keeps enough of an address to correlate log lines without
// storing it: the first character of the local part and the domain.
func MaskEmail(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at <= 0 {
		return "***"
	}
	return email[:1] + "***" + email[at:]
}
