package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Exit statuses, a contract with scripts that run Herald.
const (
	exitOK      = 0
	exitPartial = 1 // some source failed; what could be published was
	exitUsage   = 2 // bad command line or config
	exitOutput  = 3 // the output folder could not be written; the previous output stands
	// exitInterrupted follows the shell's 128+SIGINT.
	exitInterrupted = 130
)

const usage = `Herald publishes articles as RSS 2.0, Atom 1.0 and JSON Feed 1.1.

Usage:
  herald generate [--config FILE] [--out DIR]   collect once and write static feed files
                  [--no-store]                  (a one-shot: use and keep no history in data_dir)
  herald serve    [--config FILE] [--addr ADDR] collect on schedule and serve the feeds
                  [--no-fast-path]              (serve every request with net/http alone)
                  [--no-store]                  (keep history in memory only)
  herald check    [--config FILE]               validate a config without collecting

Common flags:
  --config FILE     configuration file (default config.yaml)
  --log-format F    text or json (default text)
  --log-level L     debug, info, warn or error (default info)
`

// usageError is a bad command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// configError is an invalid configuration: exit status 2.
type configError struct{ err error }

func (e configError) Error() string { return e.err.Error() }
func (e configError) Unwrap() error { return e.err }

// outputError is an output folder that cannot be locked or written:
// exit status 3.
type outputError struct{ err error }

func (e outputError) Error() string { return e.err.Error() }
func (e outputError) Unwrap() error { return e.err }

// run is main without the process: it parses args, runs the command and
// returns the exit status. Errors are printed to stderr here and only here.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, stdout, stderr)
	var ue usageError
	var ce configError
	var oe outputError
	switch {
	case err == nil:
		return exitOK
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		fmt.Fprintln(stderr, "herald: interrupted")
		return exitInterrupted
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "herald: %s\n\n%s", redact(ue.msg), usage)
		return exitUsage
	case errors.As(err, &ce):
		fmt.Fprintf(stderr, "herald: invalid configuration:\n%s\n", indent(redact(ce.err.Error())))
		return exitUsage
	case errors.As(err, &oe):
		fmt.Fprintf(stderr, "herald: %s\n", redact(oe.err.Error()))
		return exitOutput
	default:
		if msg := redact(err.Error()); strings.Contains(msg, "\n") {
			fmt.Fprintf(stderr, "herald:\n%s\n", indent(msg))
		} else {
			fmt.Fprintf(stderr, "herald: %s\n", msg)
		}
		return exitPartial
	}
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"no command given"}
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		cfgPath   = fs.String("config", "config.yaml", "configuration file")
		logFormat = fs.String("log-format", "text", "log format: text or json")
		logLevel  = fs.String("log-level", "info", "log level: debug, info, warn, error")
		out, addr *string
		noFast    *bool
		noStore   = new(bool)
	)
	switch cmd {
	case "generate":
		out = fs.String("out", "public", "output folder")
		noStore = fs.Bool("no-store", false, "keep nothing in data_dir: a one-shot run from what the sources return now")
	case "serve":
		addr = fs.String("addr", "", "listen address (default: the config's listen)")
		noFast = fs.Bool("no-fast-path", false, "serve every request with net/http alone (as fast_path: false)")
		noStore = fs.Bool("no-store", false, "keep nothing in data_dir: history lasts as long as the process")
	case "check":
	case "help", "-h", "--help":
		return flag.ErrHelp
	default:
		return usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	log, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		return usageError{err.Error()}
	}
	switch cmd {
	case "generate":
		return generate(ctx, *cfgPath, *out, *noStore, log, stdout)
	case "serve":
		return serve(ctx, *cfgPath, *addr, *noFast, *noStore, log)
	default:
		return check(*cfgPath, stdout)
	}
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(redactHandler{slog.NewTextHandler(w, opts)}), nil
	case "json":
		return slog.New(redactHandler{slog.NewJSONHandler(w, opts)}), nil
	default:
		return nil, fmt.Errorf("--log-format: want text or json, got %q", format)
	}
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }
