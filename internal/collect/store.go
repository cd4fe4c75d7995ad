package collect

import "github.com/heraldfeed/herald/internal/store"

// Status is one source's collection state.
type Status = store.Status
