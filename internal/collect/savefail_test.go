package collect

import (
	"context"
	"errors"
	"github.com/google/go-cmp/cmp"
	"strings"
	"testing"

	"github.com/heraldfeed/herald/internal/store"
	"github.com/heraldfeed/herald/internal/store/storetest"
)

// failingStore is a Memory store whose saves fail while full is set, as
// on a full disk.
type failingStore struct {
	*store.Memory
	full bool
}

func (f *failingStore) Save(ctx context.Context, c store.Collection) (bool, error) {
	if f.full {
		return false, errors.New("database or disk is full")
	}
	return f.Memory.Save(ctx, c)
}

// TestSaveFailureKeepsPrevious: when saving a collection fails (a full
// disk), the error is returned, the articles published stay, and so does
// the previous state: the next collection does not send validators for
// articles the store does not hold.
func TestSaveFailureKeepsPrevious(t *testing.T) {
	st := &failingStore{Memory: store.NewMemory()}
	src := &stateSource{name: "s"}
	c, err := New(Options{Sources: []Entry{{Source: src, Key: "s@1"}}, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Collect(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	before, _ := storetest.History(ctx, st, "s")
	st.full = true
	err = c.Collect(ctx, "s")
	if err == nil || !strings.Contains(err.Error(), "disk is full") {
		t.Fatalf("Collect with a full disk = %v, want the save error", err)
	}
	after, _ := storetest.History(ctx, st, "s")
	if len(before) == 0 || !cmp.Equal(after, before) {
		t.Errorf("articles changed after a failed save: %d, were %d", len(after), len(before))
	}
	if st := c.Status()[0]; !strings.Contains(st.LastError, "disk is full") {
		t.Errorf("status LastError = %q, want the save error", st.LastError)
	}
	st.full = false
	if err := c.Collect(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	// The source was given the state of the last saved collection (ETag
	// "1"), not the unsaved one ("2").
	if got := src.got[2].Validators.ETag; got != `"1"` {
		t.Errorf("state after a failed save has ETag %q, want the saved %q", got, `"1"`)
	}
}
