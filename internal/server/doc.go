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
// Serve puts each connection on a fast path first (fast.go): a strict
// parser that answers plain HTTP/1.1 GET and HEAD requests for published
// pages with one writev of the precomputed head and body. Any other request
// hands the connection, with what was already read, to an http.Server with
// read-header, read, write and idle timeouts, which serves it from then on.
// A differential test and a fuzz oracle hold the two paths to the same
// answers; Options.NoFastPath serves with net/http alone. Large bodies go
// out with sendfile from memory-backed files (sendfile_linux.go).
//
// The package knows nothing of feeds or configuration: of Herald it
// imports only feed.File, the published file callers hand it (bytes, a
// media type and a time).
package server
