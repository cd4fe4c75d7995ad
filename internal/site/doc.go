// Package site is everything Herald publishes, derived from the article
// log: every feed in every format with its RFC 5005 archive pages (see
// archive.go for the derivation), the page of each local article, the
// feed pages, the index and the OPML list. Builder.Build renders what
// changes with a collection and the state of the log it read;
// Builder.Page renders one of the rest on demand (serve; after Follow, as
// of a publication's state), Builder.Rest all of the rest (generate).
// Writer puts files in a folder (two phases, a manifest that survives
// interrupted runs, Lock against two writers; Builder.KeepFailed keeps a
// failed source's published files).
//
// It imports feed, and internal/store for the log and its types: it
// knows nothing of sources, configuration files or HTTP.
package site
