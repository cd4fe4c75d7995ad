package sources

import (
	"context"

	"github.com/heraldfeed/herald/feed"
)

// Source is one configured origin of articles.
type Source interface {
	// Name is the source's configured name, unique in a config.
	Name() string
	// Collect gathers the source's current articles. A non-nil error with
	// non-nil articles is a partial result: what was collected is valid
	// and should be published, and the error says what was skipped. A nil
	// result with an error means nothing usable was collected; the caller
	// keeps serving the last good articles.
	Collect(ctx context.Context) ([]feed.Article, error)
}
