// Package feed is Herald's vocabulary: the Article and Feed model, the
// normalizing that turns collected articles into clean, deduplicated,
// sorted items, and the rendering of a Feed as RSS 2.0, Atom 1.0 and
// JSON Feed 1.1.
//
// The package is pure: it imports no other Herald package, does no I/O
// beyond an io.Writer, and never reads the clock (callers pass the time
// in), so the same input always renders to the same bytes.
package feed
