package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// configReference is where the configuration keys are described.
const configReference = "https://github.com/heraldfeed/herald#configuration (or README.md in the source)"

// command is one subcommand: what `herald help NAME` and `herald NAME
// --help` print, and the flags it takes besides the common ones.
type command struct {
	name, synopsis, about, example string
	// arg names the command's one argument (add URL, preview NAME); ""
	// for none.
	arg   string
	flags func(fs *flag.FlagSet, o *options)
	// bare commands take no --config and no logging flags.
	bare bool
}

// options are every command's flag values.
type options struct {
	cfgPath, logFormat, logLevel string
	out, addr, dataDir           string
	noFast, noStore              bool
	arg, name                    string // add, preview
	write, addFeed               bool   // add
	limit                        int    // preview
}

// dataDirFlag is --data-dir of the commands that use the store.
func dataDirFlag(fs *flag.FlagSet, o *options) {
	fs.StringVar(&o.dataDir, "data-dir", "", "state `folder`, overriding the config's data_dir (also HERALD_DATA_DIR)")
}

var commands = []command{
	{
		name:     "generate",
		synopsis: "collect once and write static feed files",
		about: `Collects every source once and writes the feeds, a page per feed, an
index.html, feeds.opml and one page per local article to the output folder.
Only files whose bytes changed are rewritten. Exit status 0 when every source was collected, 1 when
some failed (their previous output is kept), 2 for a bad command line or
config, 3 when the output folder cannot be written, 5 when the store in
data_dir cannot be opened, 130 when interrupted.`,
		example: "herald generate --config config.yaml --out public",
		flags: func(fs *flag.FlagSet, o *options) {
			fs.StringVar(&o.out, "out", "public", "output `folder`")
			dataDirFlag(fs, o)
			fs.BoolVar(&o.noStore, "no-store", false, "keep nothing in data_dir: a one-shot run from what the sources return now")
		},
	},
	{
		name:     "serve",
		synopsis: "collect on schedule and serve the feeds over HTTP",
		about: `Collects every source on its schedule (files sources also as soon as their
folder changes) and serves the feeds, the pages and feeds.opml until
interrupted. SIGHUP reloads the configuration. Exit
status 0 after SIGINT/SIGTERM, 2 for a bad command line or config, 4 when
the address cannot be listened on (in use: choose another with --addr or
the config's listen), 5 when the store cannot be opened (data_dir not
writable, a database that is not Herald's or is damaged).`,
		example: "herald serve --config config.yaml --addr 127.0.0.1:8080",
		flags: func(fs *flag.FlagSet, o *options) {
			fs.StringVar(&o.addr, "addr", "", "listen `address` (default: the config's listen)")
			dataDirFlag(fs, o)
			fs.BoolVar(&o.noFast, "no-fast-path", false, "serve every request with net/http alone (as fast_path: false)")
			fs.BoolVar(&o.noStore, "no-store", false, "keep nothing in data_dir: history lasts as long as the process")
		},
	},
	{
		name:     "check",
		synopsis: "validate a config without collecting",
		about: `Reads the configuration and reports every problem with its file, line and
column: unknown keys, wrong types, bad URLs, schedules and selectors, a files
source whose folder is missing or unreadable, a feed without sources.
Exit status 0 when valid, 2 otherwise.`,
		example: "herald check --config config.yaml",
		flags:   dataDirFlag,
	},
	{
		name:     "init",
		synopsis: "write a starter config.yaml and an articles folder",
		about: `Writes a commented starter configuration at --config and, beside it, an
articles folder with one example article, ready for serve and generate.
It overwrites nothing: when one of those files exists it says so and
writes nothing (exit status 2).`,
		example: "herald init --config mysite/config.yaml",
	},
	{
		name:     "healthcheck",
		synopsis: "ask a running herald serve whether it is healthy",
		about: `Asks the public /healthz of a herald serve listening at --addr. Exit
status 0 when it answers 200, 1 otherwise. It is the container image's
health check (the image has no shell or wget).`,
		example: "herald healthcheck --addr 127.0.0.1:8080",
		bare:    true,
		flags: func(fs *flag.FlagSet, o *options) {
			fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "`address` herald serve listens on")
		},
	},
	command{
		name:     "add",
		arg:      "URL",
		synopsis: "look at a URL and print a source for the configuration",
		about: `Fetches URL and prints a source for config.yaml with a preview of its first
	items: a feed source when the page advertises a feed (<link rel="alternate">
	of RSS, Atom or JSON Feed) that answers and parses, or when URL is itself a
	feed; else a page source, with what detection found as comments you may
	uncomment to freeze. --write adds it to the configuration file (and, with
	--feed, a feed of the same name that publishes it), keeping the file's
	comments and layout; a name that exists is refused. Exit status 0 when a
	source was found, 1 when URL cannot be fetched or holds no article list, 2
	for a bad command line, URL, name or config.`,
		example: "herald add https://example.org/news --config config.yaml --write --feed",
		flags: func(fs *flag.FlagSet, o *options) {
			fs.StringVar(&o.name, "name", "", "source `name` (default: from the URL's host)")
			fs.BoolVar(&o.write, "write", false, "add the source to the configuration file")
			fs.BoolVar(&o.addFeed, "feed", false, "with --write, also add a feed of the same name publishing it")
		},
	},
	command{
		name:     "preview",
		arg:      "NAME",
		synopsis: "collect one source once and show what it would publish",
		about: `Collects the source NAME of the configuration once and prints each item it
	would publish (title, date, link, the first words) and what the source
	logged (how a page's article list was detected, warnings). Nothing is
	published or stored: no data_dir, no output files. Exit status 0 when the
	source was collected, 1 when it failed, 2 for a bad command line, config or
	source name.`,
		example: "herald preview town-news --config config.yaml",
		flags: func(fs *flag.FlagSet, o *options) {
			fs.IntVar(&o.limit, "limit", 20, "show at most `n` items")
		},
	},
	{
		name:     "version",
		synopsis: "print the version and the commit",
		about:    `Prints Herald's version, the commit it was built from and the Go version.`,
		example:  "herald version",
		bare:     true,
	},
}

// helpCommand is `herald help`, described like the others but run by
// dispatch itself.
var helpCommand = command{
	name:     "help",
	synopsis: "describe a command: herald help COMMAND (or herald COMMAND --help)",
	about:    `Without a command, lists the commands; with one, describes it: what it does, its flags with their defaults, and an example.`,
	example:  "herald help serve",
	bare:     true,
}

func lookupCommand(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// newFlagSet returns the flags of c, common ones included, bound to o.
func newFlagSet(c *command, o *options) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if c.bare {
		if c.flags != nil {
			c.flags(fs, o)
		}
		return fs
	}
	fs.StringVar(&o.cfgPath, "config", "config.yaml", "configuration `file`")
	if c.flags != nil {
		c.flags(fs, o)
	}
	fs.StringVar(&o.logFormat, "log-format", "text", "log `format`: text or json")
	fs.StringVar(&o.logLevel, "log-level", "info", "log `level`: debug, info, warn or error")
	return fs
}

// usage is the top-level help.
func usage() string {
	var b strings.Builder
	b.WriteString("Herald publishes articles as RSS 2.0, Atom 1.0 and JSON Feed 1.1.\n\nUsage:\n  herald COMMAND [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-11s %s\n", c.name, c.synopsis)
	}
	fmt.Fprintf(&b, "  %-11s %s\n", "help", helpCommand.synopsis)
	fmt.Fprintf(&b, "\nThe configuration's keys are described in %s.\n", configReference)
	b.WriteString("herald --version prints the version.\n")
	return b.String()
}

// commandHelp is `herald help NAME`: what it does, its flags with their
// defaults, and an example.
func commandHelp(c *command) string {
	var b strings.Builder
	fmt.Fprintf(&b, "herald %s: %s\n\n%s\n\nFlags:\n", c.name, c.synopsis, c.about)
	var o options
	fs := newFlagSet(c, &o)
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		n++
		arg, desc := flag.UnquoteUsage(f)
		name := "--" + f.Name
		if arg != "" {
			name += " " + strings.ToUpper(arg)
		}
		fmt.Fprintf(&b, "  %-20s %s", name, desc)
		if f.DefValue != "" && f.DefValue != "false" {
			fmt.Fprintf(&b, " (default %s)", f.DefValue)
		}
		b.WriteByte('\n')
	})
	if n == 0 {
		b.WriteString("  (none)\n")
	}
	fmt.Fprintf(&b, "\nExample:\n  %s\n", c.example)
	if !c.bare {
		fmt.Fprintf(&b, "\nThe configuration's keys are described in %s.\n", configReference)
	}
	return b.String()
}
