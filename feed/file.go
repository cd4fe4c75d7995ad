package feed

import "time"

// File is one published file: what internal/site renders, what the
// store keeps of a replica set's publication and what internal/server
// serves. Its Path is site-relative and is also its URL path.
type File struct {
	// Path is the URL path without the leading "/", for example
	// "world.rss" or "articles/x-1a2b3c4d.html". "index.html" is also
	// served at "/".
	Path string
	// MediaType is the full Content-Type, for example
	// "application/rss+xml; charset=utf-8".
	MediaType string
	Body      []byte
	// Modified is when the content last changed: the newest date of what
	// it shows, never the time it was rendered; it may be zero. The
	// server derives Last-Modified from it.
	Modified time.Time
	// Source is the source an article page belongs to ("" for the rest),
	// recorded in an output folder's manifest.
	Source string
	// Immutable marks a full archive document: its URL keeps its
	// positions for good, so a copy cached for long is never missing an
	// item (one can only leave it). It is served cached for a year,
	// `immutable`.
	Immutable bool
	// Gen is, in a replica set, the publication whose build last changed
	// the bytes; the ETag every replica gives carries it, so a replica
	// shown a tag of a newer publication than its own knows it is behind.
	Gen int64
}
