package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/heraldfeed/herald/internal/app"
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

// helpText is help asked for: printed to stdout, exit status 0.
type helpText string

func (h helpText) Error() string { return string(h) }

// run is main without the process: it parses args, runs the command and
// returns the exit status. Errors are printed to stderr here and only
// here, redacted like the command's logs, and their kind (internal/app's
// error types) decides the status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app.Stamp(version, commit)
	env := app.NewEnv()
	err := dispatch(ctx, env, args, stdout, stderr)
	var ue app.UsageError
	var ce app.ConfigError
	var oe app.OutputError
	var le app.ListenError
	var se app.StoreError
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
	case errors.As(err, &ue) && ue.Brief:
		fmt.Fprintf(stderr, "herald: %s\n", env.Redact(ue.Msg))
		return exitUsage
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "herald: %s\n\n%s", env.Redact(ue.Msg), usage())
		return exitUsage
	case errors.As(err, &ce):
		fmt.Fprintf(stderr, "herald: invalid configuration:\n%s\n", indent(env.Redact(ce.Err.Error())))
		return exitUsage
	case errors.As(err, &oe):
		fmt.Fprintf(stderr, "herald: %s\n", env.Redact(oe.Err.Error()))
		return exitOutput
	case errors.As(err, &le):
		fmt.Fprintf(stderr, "herald: %s\n", env.Redact(le.Err.Error()))
		return exitListen
	case errors.As(err, &se):
		fmt.Fprintf(stderr, "herald: store: %s\n", env.Redact(se.Err.Error()))
		return exitStore
	default:
		if msg := env.Redact(err.Error()); strings.Contains(msg, "\n") {
			fmt.Fprintf(stderr, "herald:\n%s\n", indent(msg))
		} else {
			fmt.Fprintf(stderr, "herald: %s\n", msg)
		}
		return exitPartial
	}
}

func dispatch(ctx context.Context, env *app.Env, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return app.UsageError{Msg: "no command given"}
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
			return app.UsageError{Msg: fmt.Sprintf("help: unknown command %q", args[0])}
		}
		return helpText(commandHelp(c))
	}
	c := lookupCommand(name)
	if c == nil {
		return app.UsageError{Msg: fmt.Sprintf("unknown command %q", name)}
	}
	var o options
	fs := newFlagSet(c, &o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return helpText(commandHelp(c))
		}
		return app.UsageError{Msg: fmt.Sprintf("%s: %v (see herald help %s)", name, err, name)}
	}
	if c.arg != "" && fs.NArg() > 0 {
		// Flags may follow the argument: herald add URL --write.
		o.arg = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return app.UsageError{Msg: fmt.Sprintf("%s: %v (see herald help %s)", name, err, name)}
		}
	}
	if fs.NArg() > 0 {
		return app.UsageError{Msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if c.arg != "" && o.arg == "" {
		return app.UsageError{Msg: fmt.Sprintf("%s: missing %s (see herald help %s)", name, c.arg, name)}
	}
	switch name {
	case "version":
		b := app.BuildInfo()
		fmt.Fprintf(stdout, "herald %s (commit %s, %s)\n", b.Version, b.Commit, b.GoVersion)
		return nil
	case "healthcheck":
		return app.Healthcheck(ctx, o.addr, stdout)
	case "init":
		return app.Init(o.cfgPath, stdout)
	}
	env.SetDataDir(o.dataDir)
	var prog *app.Progress
	if name == "generate" {
		if prog = app.NewProgress(stderr); prog != nil {
			stderr = prog
		}
	}
	log, err := newLogger(env, stderr, o.logFormat, o.logLevel)
	if err != nil {
		return app.UsageError{Msg: err.Error()}
	}
	switch name {
	case "generate":
		return app.Generate(ctx, app.GenerateOptions{Config: o.cfgPath, Out: o.out, NoStore: o.noStore, Logger: log, Stdout: stdout, Progress: prog, Env: env})
	case "serve":
		hupCtx, stopHangups := context.WithCancel(ctx)
		defer stopHangups()
		return app.Serve(ctx, app.ServeOptions{Config: o.cfgPath, Addr: o.addr, NoFastPath: o.noFast, NoStore: o.noStore, Logger: log, Env: env,
			Reload: hangups(hupCtx)})
	case "add":
		return app.Add(ctx, app.AddOptions{Config: o.cfgPath, URL: o.arg, Name: o.name, Write: o.write, Feed: o.addFeed, Logger: log, Stdout: stdout, Env: env})
	case "preview":
		return app.Preview(ctx, app.PreviewOptions{Config: o.cfgPath, Source: o.arg, Limit: o.limit, Stdout: stdout, Env: env})
	default:
		return app.Check(env, o.cfgPath, stdout)
	}
}

func newLogger(env *app.Env, w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(env.Handler(slog.NewTextHandler(w, opts))), nil
	case "json":
		return slog.New(env.Handler(slog.NewJSONHandler(w, opts))), nil
	default:
		return nil, fmt.Errorf("--log-format: want text or json, got %q", format)
	}
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }
