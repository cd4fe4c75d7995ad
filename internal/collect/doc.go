// Package collect runs Herald's sources: it passes each source the state
// its previous collection returned and commits each collection (its
// articles, normalized, and the source's next state and status) to the
// article log, the store, in one transaction, in parts for a source
// that returns many. It holds no articles itself; it reports each
// source's status and metrics. What is published from the log is
// package site's job.
//
// It imports feed, sources and internal/store; it knows nothing of
// configuration files, rendering or HTTP.
package collect
