package sources

// Internals the external tests (package sources_test) check.
var (
	ErrRedirect     = errRedirect
	ParseRetryAfter = parseRetryAfter
)
