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

// The process's signals are handled here and nowhere else: SIGINT and
// SIGTERM cancel the command's context; SIGHUP is serve's reload
// (hangups).
func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// hangups delivers a value for each SIGHUP until ctx is done: serve's
// reload. One pending value is enough (a reload reads the file as it is
// then). Subscribing also keeps a SIGHUP from ending the process, its
// default.
func hangups(ctx context.Context) <-chan struct{} {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP)
	out := make(chan struct{}, 1)
	go func() {
		defer signal.Stop(sig)
		for {
			select {
			case <-ctx.Done():
				return
			case <-sig:
				select {
				case out <- struct{}{}:
				default:
				}
			}
		}
	}()
	return out
}
