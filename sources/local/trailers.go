package local

import "github.com/heraldfeed/herald/sources/extract"

// Trailers recognizes end-of-article chrome; the rule lives with the
// extraction pipeline, which every source shares (extract.Trailers).
type Trailers = extract.Trailers

// NewTrailers is extract.NewTrailers.
func NewTrailers(extra []string) (*Trailers, error) { return extract.NewTrailers(extra) }
