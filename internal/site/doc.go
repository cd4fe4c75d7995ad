// Package site turns articles into Herald's published files: every feed
// in every format, the page of each local article and the index page, as
// in-memory Files (Builder.Build), and writes them to a folder (Write:
// two phases, a manifest that survives interrupted runs, Lock against two
// writers; Builder.KeepFailed keeps a failed source's published files).
// Later outputs (archives, OPML) belong here too.
//
// It imports feed only: it knows nothing of sources, configuration files
// or HTTP.
package site
