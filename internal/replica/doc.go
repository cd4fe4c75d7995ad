// Package replica runs one of several Herald processes that share a store
// (store.Shared, PostgreSQL): it campaigns for leadership, runs the
// collecting side while it leads, and keeps what the process serves equal
// to the last publication, whoever made it.
//
// The leader stamps each build (the Last-Modified of each changed page is
// decided once, by server.LastModified) and publishes it through the
// store, which tells every replica; each replica prepares it at once and
// serves it at the same instant, Settle after its commit, with the same
// validators. A replica that loses the database keeps
// serving what it has and reports it (Status); it reconnects by itself.
//
// It imports internal/store and internal/server (for the Last-Modified
// rule and the status it reports) only.
package replica
