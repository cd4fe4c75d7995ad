// Package store is what Herald remembers across runs: every article it
// has seen, keyed by (source, stable ID), with the dates that must not
// drift, and each source's state and status. It holds the Store interface,
// its types, the rules every backend applies (Merge, expired), the row
// layout the SQL backends share (rows.go) and Memory, the store of a run
// that keeps nothing. Shared is the part of a store several replicas use
// at once: leadership, publications, change notices. Backends live in
// subpackages (sqlite; postgres, the Shared one); storetest is the
// conformance suite they all run.
//
// It imports feed and sources (for State) only.
package store
