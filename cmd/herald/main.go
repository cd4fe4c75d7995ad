// Command herald collects articles from configured sources and publishes
// them as RSS 2.0, Atom 1.0 and JSON Feed 1.1: once, as static files
// (herald generate), or continuously over HTTP (herald serve).
//
// This package is the command line only: flags, help, exit statuses,
// logging set-up and one call into internal/app per command.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}
