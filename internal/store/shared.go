package store

import (
	"context"
	"errors"
	"time"
)

// ErrLedElsewhere is returned by Shared.Lead when another replica leads.
var ErrLedElsewhere = errors.New("another replica leads")

// ErrNotLeader is returned by a write of a store that took leadership and
// has lost it since: a deposed leader's late writes are refused (fencing),
// so two replicas never both write a source's history.
var ErrNotLeader = errors.New("this replica no longer leads")

// Page is one published file as every replica serves it: its bytes and
// the Last-Modified the leader decided for them (whole seconds, UTC), so
// that a reader bounced between replicas sees the same validators.
type Page struct {
	Path      string
	MediaType string
	Body      []byte
	Modified  time.Time
}

// Publication is what the leader published last, as a replica catches up
// on it.
type Publication struct {
	// Gen numbers publications; 0 means nothing was published yet.
	Gen int64
	// At is when it was committed, by the database's clock: replicas
	// switch to it together, a moment later.
	At time.Time
	// Pages are the pages changed after the generation asked for (all of
	// them when that was 0), in no particular order.
	Pages []Page
	// Paths is every path of the publication, sorted.
	Paths []string
}

// Leadership is a replica's hold on leadership.
type Leadership interface {
	// Lost is closed when leadership is lost: the connection holding it
	// failed, or Release was called.
	Lost() <-chan struct{}
	// Release gives leadership up; another replica may take it at once.
	Release()
}

// Shared is a store several Herald processes use at once (PostgreSQL):
// one of them leads and collects, every one serves what the leader
// publishes.
type Shared interface {
	Store
	// Lead tries once to take leadership for replica id; it returns
	// ErrLedElsewhere when another replica holds it. Once led, every
	// write of this store checks that it still leads, and fails with
	// ErrNotLeader when it does not.
	Lead(ctx context.Context, id string) (Leadership, error)
	// Leader returns the id of the replica that took leadership last and
	// when; id is "" when none ever did.
	Leader(ctx context.Context) (id string, since time.Time, err error)
	// Publish stores a build: changed are its pages that are new or
	// changed since the previous publication, paths all of its paths
	// (the pages not among them are removed). It returns the new
	// generation and its commit time (Publication.At), and tells every
	// replica (Changes), in one transaction.
	Publish(ctx context.Context, changed []Page, paths []string) (gen int64, at time.Time, err error)
	// Published returns the current publication with the pages changed
	// after generation after.
	Published(ctx context.Context, after int64) (Publication, error)
	// Changes delivers the generation of each publication, by any
	// replica, soon after it commits (best effort: a replica also checks
	// on its own from time to time). The channel is closed when ctx is
	// done; a lost connection is re-established by itself.
	Changes(ctx context.Context) <-chan int64
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
}
