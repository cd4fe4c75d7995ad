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
	exitListen  = 4 // serve could not listen on its address (in use, not permitted)
	exitStore   = 5 // the store could not be opened (data_dir, database)
	// exitInterrupted follows the shell's 128+SIGINT.
	exitInterrupted = 130
)

// usageError is a bad command line: exit status 2. The commands' usage
// follows the message unless it is about a file rather than the words
// typed (brief).
type usageError struct {
	msg   string
	brief bool
}

func (e usageError) Error() string { return e.msg }

// configError is an invalid configuration: exit status 2.
type configError struct{ err error }

func (e configError) Error() string { return e.err.Error() }
func (e configError) Unwrap() error { return e.err }

// helpText is help asked for: printed to stdout, exit status 0.
type helpText string

func (h helpText) Error() string { return string(h) }

// listenError is an address serve cannot listen on: exit status 4.
type listenError struct{ err error }

func (e listenError) Error() string { return e.err.Error() }
func (e listenError) Unwrap() error { return e.err }

// storeError is a store that cannot be opened: exit status 5.
type storeError struct{ err error }

func (e storeError) Error() string { return e.err.Error() }
func (e storeError) Unwrap() error { return e.err }

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
	var le listenError
	var se storeError
	var ht helpText
	switch {
	case err == nil:
		return exitOK
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		fmt.Fprintln(stderr, "herald: interrupted")
		return exitInterrupted
	case errors.As(err, &ht):
		fmt.Fprint(stdout, string(ht))
		return exitOK
	case errors.As(err, &ue) && ue.brief:
		fmt.Fprintf(stderr, "herald: %s\n", redact(ue.msg))
		return exitUsage
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "herald: %s\n\n%s", redact(ue.msg), usage())
		return exitUsage
	case errors.As(err, &ce):
		fmt.Fprintf(stderr, "herald: invalid configuration:\n%s\n", indent(redact(ce.err.Error())))
		return exitUsage
	case errors.As(err, &oe):
		fmt.Fprintf(stderr, "herald: %s\n", redact(oe.err.Error()))
		return exitOutput
	case errors.As(err, &le):
		fmt.Fprintf(stderr, "herald: %s\n", redact(le.err.Error()))
		return exitListen
	case errors.As(err, &se):
		fmt.Fprintf(stderr, "herald: store: %s\n", redact(se.err.Error()))
		return exitStore
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
		return usageError{msg: "no command given"}
	}
	name, args := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help":
		return helpText(usage())
	case "-version", "--version":
		name = "version"
	case "help":
		if len(args) == 0 {
			return helpText(usage())
		}
		if args[0] == helpCommand.name {
			return helpText(commandHelp(&helpCommand))
		}
		c := lookupCommand(args[0])
		if c == nil {
			return usageError{msg: fmt.Sprintf("help: unknown command %q", args[0])}
		}
		return helpText(commandHelp(c))
	}
	c := lookupCommand(name)
	if c == nil {
		return usageError{msg: fmt.Sprintf("unknown command %q", name)}
	}
	var o options
	fs := newFlagSet(c, &o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return helpText(commandHelp(c))
		}
		return usageError{msg: fmt.Sprintf("%s: %v (see herald help %s)", name, err, name)}
	}
	if c.arg != "" && fs.NArg() > 0 {
		// Flags may follow the argument: herald add URL --write.
		o.arg = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return usageError{msg: fmt.Sprintf("%s: %v (see herald help %s)", name, err, name)}
		}
	}
	if fs.NArg() > 0 {
		return usageError{msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if c.arg != "" && o.arg == "" {
		return usageError{msg: fmt.Sprintf("%s: missing %s (see herald help %s)", name, c.arg, name)}
	}
	switch name {
	case "version":
		printVersion(stdout)
		return nil
	case "healthcheck":
		return healthcheck(ctx, o.addr, stdout)
	case "init":
		return initSite(o.cfgPath, stdout)
	}
	setDataDir(o.dataDir)
	var prog *progress
	if name == "generate" && isTerminal(stderr) {
		prog = &progress{w: stderr}
		stderr = prog
	}
	log, err := newLogger(stderr, o.logFormat, o.logLevel)
	if err != nil {
		return usageError{msg: err.Error()}
	}
	switch name {
	case "generate":
		return generate(ctx, o.cfgPath, o.out, o.noStore, log, stdout, prog)
	case "serve":
		return serve(ctx, o.cfgPath, o.addr, o.noFast, o.noStore, log)
	case "add":
		return add(ctx, o, stdout, log)
	case "preview":
		return preview(ctx, o, stdout)
	default:
		return check(o.cfgPath, stdout)
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
