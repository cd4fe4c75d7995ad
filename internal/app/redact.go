package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/heraldfeed/herald/sources"
)

// Env is one run of a command in this process: the redactor everything
// it prints goes through (log lines, error messages, /healthz text: the
// built-in secret parameters, and the loaded configuration's from then
// on), and the data_dir override. Each run has its own, so that runs in
// one process (tests) never share what they hide; nothing here is
// process-wide.
type Env struct {
	red atomic.Pointer[sources.Redactor]
	// hidden are the secrets red hides; only the run's own goroutine,
	// loading or reloading the configuration, sets them.
	hidden  sources.Secrets
	dataDir string
}

// NewEnv returns the Env of a run that has loaded no configuration yet.
func NewEnv() *Env {
	e := &Env{}
	e.red.Store(sources.NewRedactor(sources.Secrets{}))
	return e
}

// hide makes s the secrets the run hides from now on, and returns those
// it hid until now.
func (e *Env) hide(s sources.Secrets) (before sources.Secrets) {
	before, e.hidden = e.hidden, s
	e.red.Store(sources.NewRedactor(s))
	return before
}

// envOr is e, or a new Env for a caller that gave none.
func envOr(e *Env) *Env {
	if e == nil {
		return NewEnv()
	}
	return e
}

// Redact hides the URL secrets the run's configuration names in s.
func (e *Env) Redact(s string) string { return e.red.Load().Text(s) }

// Handler wraps h so that it writes every record redacted by e.
func (e *Env) Handler(h slog.Handler) slog.Handler { return redactHandler{h, e} }

// redactHandler redacts the message and every attribute of each record
// before the handler it wraps writes it, in text and JSON alike: a URL with
// a token can reach a log line through any error, whoever wrote it.
type redactHandler struct {
	slog.Handler
	env *Env
}

func (h redactHandler) Handle(ctx context.Context, r slog.Record) error {
	red := h.env.red.Load()
	out := slog.NewRecord(r.Time, r.Level, red.Text(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(red, a))
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	// Attributes fixed now are redacted with the secrets known now: a
	// logger made before the configuration is loaded carries none of its
	// secrets in its attributes (they are a source's name, a command).
	red := h.env.red.Load()
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i] = redactAttr(red, a)
	}
	return redactHandler{h.Handler.WithAttrs(out), h.env}
}

func (h redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{h.Handler.WithGroup(name), h.env}
}

func redactAttr(red *sources.Redactor, a slog.Attr) slog.Attr {
	text := red.Text
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, text(v.String()))
	case slog.KindGroup:
		g := v.Group()
		out := make([]any, len(g))
		for i, ga := range g {
			out[i] = redactAttr(red, ga)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, text(x.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, text(x.String()))
		case []byte:
			return slog.String(a.Key, text(string(x)))
		}
		// Other values (structs, slices) are printed as they are
		// unless their text holds a secret.
		if s := fmt.Sprintf("%+v", v.Any()); text(s) != s {
			return slog.String(a.Key, text(s))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
