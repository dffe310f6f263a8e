package api

import (
	"context"
	"io"
	"log/slog"
	"strings"
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
	attrs := make([]slog.Attr, 0, 14)
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		attrs = append(attrs, slog.String("aws_request_id", lc.AwsRequestID))
	}
	attrs = append(attrs,
		slog.String("route", l.route),
		slog.Int("status", status),
		slog.Float64("duration_ms", ms(time.Since(start))),
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
	logger.LogAttrs(ctx, level, "request", attrs...)
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
