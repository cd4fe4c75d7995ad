package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/heraldfeed/herald/sources"
)

// redactor is the Redactor of this process: the built-in secret
// parameters plus the loaded config's redact_params. Everything the
// command prints (log lines, error messages, /healthz text) goes through
// it. It is process-wide because main is one process with one config at a
// time; loadConfig replaces it.
var redactor atomic.Pointer[sources.Redactor]

func init() { redactor.Store(sources.NewRedactor(sources.Secrets{})) }

// Redact hides the URL secrets the loaded configuration names in s.
func Redact(s string) string { return redactor.Load().Text(s) }

// RedactHandler wraps h so that it writes every record redacted.
func RedactHandler(h slog.Handler) slog.Handler { return redactHandler{h} }

// redactHandler redacts the message and every attribute of each record
// before the handler it wraps writes it, in text and JSON alike: a URL with
// a token can reach a log line through any error, whoever wrote it.
type redactHandler struct{ slog.Handler }

func (h redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, Redact(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = redactAttr(a)
	}
	return redactHandler{h.Handler.WithAttrs(red)}
}

func (h redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{h.Handler.WithGroup(name)}
}

func redactAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, Redact(v.String()))
	case slog.KindGroup:
		g := v.Group()
		red := make([]any, len(g))
		for i, ga := range g {
			red[i] = redactAttr(ga)
		}
		return slog.Group(a.Key, red...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, Redact(x.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, Redact(x.String()))
		case []byte:
			return slog.String(a.Key, Redact(string(x)))
		}
		// Other values (structs, slices) are printed as they are
		// unless their text holds a secret.
		if s := fmt.Sprintf("%+v", v.Any()); Redact(s) != s {
			return slog.String(a.Key, Redact(s))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
