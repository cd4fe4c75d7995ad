package sources

import (
	"context"
)

// Source is one configured origin of articles.
type Source interface {
	// Name is the source's configured name, unique in a config.
	Name() string
	// Collect gathers the source's current articles, given the state the
	// previous collection returned (the zero State the first time). The
	// Result always carries the next state, failure or not. A non-nil
	// error with non-nil Result.Articles is a partial result: what was
	// collected is valid and should be published, and the error says what
	// was skipped. Nil articles with an error mean nothing usable was
	// collected; the caller keeps serving the last good articles. An error
	// wrapping ErrBackoff is no failure: the source chose not to try yet.
	// Errors do not name the source; the caller does.
	Collect(ctx context.Context, prev State) (Result, error)
}
