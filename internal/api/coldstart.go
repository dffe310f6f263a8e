package api

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Init is a function's cold start: it times the phases for the one "init"
// log line, so cold-start cost can be read off production logs.
type Init struct {
	Logger *slog.Logger
	route  string
	mark   time.Time
	total  time.Duration
	phases []slog.Attr
}

// NewInit starts the cold start of the function serving route, logging
// to w.
func NewInit(w io.Writer, route string) *Init {
	return &Init{Logger: NewLogger(w), route: route, mark: time.Now()}
}

// Phase ends the named phase, which began at the previous Phase or at
// NewInit.
func (i *Init) Phase(name string) {
	now := time.Now()
	took := now.Sub(i.mark)
	i.mark, i.total = now, i.total+took
	i.phases = append(i.phases, slog.Float64(name+"_ms", ms(took)))
}

// ReadSecret reads the client secret once, as the "secret" phase. If that
// fails it says so (the error names the secret, never its value); the token
// handler then answers 503 secret_unavailable until a later read succeeds.
func (i *Init) ReadSecret(s SecretSource) {
	if _, err := s.Get(context.Background()); err != nil {
		i.Logger.LogAttrs(context.Background(), slog.LevelError,
			"cannot read the client secret: answering 503 secret_unavailable until it can be read",
			slog.String("route", i.route), slog.String("error", err.Error()))
	}
	i.Phase("secret")
}

// Done writes the init line.
func (i *Init) Done() {
	attrs := append([]slog.Attr{slog.String("route", i.route)}, i.phases...)
	attrs = append(attrs, slog.Float64("init_ms", ms(i.total)))
	i.Logger.LogAttrs(context.Background(), slog.LevelInfo, "init", attrs...)
}

// Misconfigured writes the one ERROR line of a cold start that cannot serve,
// naming every bad setting in err, and returns the handler to start instead:
// it answers every request 500 server_misconfigured, so the function stays
// up and says so rather than crashing in a loop of cold starts.
func (i *Init) Misconfigured(err error) Handler {
	i.Logger.LogAttrs(context.Background(), slog.LevelError, "init failed: the function will answer 500 server_misconfigured",
		slog.String("route", i.route), slog.String("error", err.Error()))
	return func(ctx context.Context, _ events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return logged(ctx, i.Logger, i.route, func(l *requestLog) (events.APIGatewayV2HTTPResponse, string) {
			l.failure = errMisconfigured
			return failure(errMisconfigured)
		}), nil
	}
}
