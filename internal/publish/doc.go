// Package publish turns collected articles into Herald's site: it runs
// sources, keeps each one's last good articles, merges and filters them
// into feeds, and renders every feed format, the article pages and the
// index page as in-memory files. `herald generate` writes those files to a
// folder (WriteDir); `herald serve` hands them to the HTTP server.
//
// It imports feed and sources; it knows nothing of configuration files or
// HTTP.
package publish
