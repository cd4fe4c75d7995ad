// Package server is Herald's HTTP layer: it serves precomputed feeds and
// pages from memory to many polling feed readers, plus /healthz and
// /metrics.
//
// Everything a response needs (compressed body, ETags, Last-Modified,
// Content-Length and the header value slices themselves) is computed once
// in Publish and swapped in atomically, so the request path is a map lookup,
// a few header assignments and one Write: no filesystem, no hashing, no
// compression, no formatting.
//
// The package knows nothing of feeds or configuration: it imports no other
// Herald package. Callers hand it bytes with a media type and a time.
package server
