// Package replica runs one of several Herald processes that share a store
// (store.Shared, PostgreSQL): it campaigns for the lease, runs the
// collecting side while it leads, and keeps what the process serves equal
// to the last publication, whoever made it.
//
// The leader stamps each build (the Last-Modified of each changed page is
// decided once, by server.LastModified; its ETag names the publication)
// and publishes it through the store with the state of the log it was
// built from; the store tells every replica, and each serves it as soon
// as it has read it. No replica's clock decides anything: a reader shown
// a newer publication by one replica makes a lagging one catch up before
// it answers (CatchUp). A replica that loses the database keeps serving
// what it has and reports it (Status); it reconnects by itself.
//
// It imports feed (for the published file), internal/store and
// internal/server (for the Last-Modified rule and the status it reports)
// only.
package replica
