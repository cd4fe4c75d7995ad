// Package store is what Herald remembers across runs: every article it
// has seen, keyed by (source, stable ID), with the dates that must not
// drift, and each source's state and status. It holds the Store interface,
// its types, the rules every backend applies (Merge, Expired) and Memory,
// the store of a run that keeps nothing. Backends live in subpackages
// (sqlite, postgres); storetest is the conformance suite they all run.
//
// It imports feed and sources (for State) only.
package store
