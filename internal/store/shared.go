package store

import (
	"context"
	"errors"
	"time"

	"github.com/heraldfeed/herald/feed"
)

// ErrLedElsewhere is returned by Shared.Lead when another replica leads.
var ErrLedElsewhere = errors.New("another replica leads")

// ErrNotLeader is returned by a write of a store that does not lead
// under an unexpired lease: a deposed leader's late writes are refused
// (fencing), so two replicas never both write a source's history.
var ErrNotLeader = errors.New("this replica does not lead (it never took the lease, or the lease ran out)")

// Revs is the state of the log a build read: the revision (Mark.Rev) of
// each source. A publication records it, so that what the replicas render
// on demand (article pages, full archive documents) is rendered from the
// same state as the feed documents they serve.
type Revs map[string]int64

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
	Pages []feed.File
	// Paths is every path of the publication, sorted.
	Paths []string
	// Revs is the state of the log it was built from.
	Revs Revs
}

// Ping is a WebSub ping a publication left to send: its topic changed
// in publication Gen.
type Ping struct {
	Gen   int64
	Topic string
}

// Leadership is a replica's hold on leadership: a lease that the
// database's clock measures.
type Leadership interface {
	// Lost is closed when leadership is lost: a renewal failed or was
	// refused, the lease may have run out, or Release was called.
	Lost() <-chan struct{}
	// Valid reports whether the lease still holds by this process's
	// clock, with a margin: a leader asks it before anything a follower
	// must not do (an upstream request), so that a process resumed after
	// a pause does nothing before it knows it lost.
	Valid() bool
	// Release gives leadership up; another replica may take it at once.
	Release()
}

// Lease is who leads, as the database knows it.
type Lease struct {
	ID    string    // the replica that took leadership last; "" when none ever did
	Since time.Time // when it took it
	// Left is how long its lease has to run by the database's clock:
	// negative when it stopped renewing that long ago.
	Left time.Duration
}

// Shared is a store several Herald processes use at once (PostgreSQL):
// one of them leads and collects, every one serves what the leader
// publishes.
type Shared interface {
	Store
	// Lead tries once to take leadership for replica id; it returns
	// ErrLedElsewhere when another replica's lease holds. Every write of
	// the store checks, in its transaction, that this store leads under
	// an unexpired lease, and fails with ErrNotLeader when it does not:
	// a store that never led writes nothing.
	Lead(ctx context.Context, id string) (Leadership, error)
	// Leader returns who leads, as the database knows it.
	Leader(ctx context.Context) (Lease, error)
	// LeaseTerm is how long a leadership lasts without renewal: a leader
	// that stops is replaced within it and one follower's interval.
	LeaseTerm() time.Duration
	// Publish stores a build of the log at revs: changed are its pages
	// that are new or changed since the previous publication (their Gen
	// is ignored: they get the new generation), paths all of its paths
	// (the pages not among them are removed), topics the feed URLs a
	// WebSub hub is to be told of (pending Pings). It returns the new
	// generation and its commit time (Publication.At), and tells every
	// replica (Changes), in one transaction.
	Publish(ctx context.Context, changed []feed.File, paths, topics []string, revs Revs) (gen int64, at time.Time, err error)
	// Pings returns the pings publications left to send, oldest first:
	// whichever replica leads sends them, and Pinged each once the hub
	// took it, so a change is pinged after a failover too.
	Pings(ctx context.Context) ([]Ping, error)
	// Pinged records that the hub took p.
	Pinged(ctx context.Context, p Ping) error
	// Published returns the current publication with the pages changed
	// after generation after; when that is the current one, without
	// Pages or Paths (nothing to catch up on).
	Published(ctx context.Context, after int64) (Publication, error)
	// Changes delivers the generation of each publication, by any
	// replica, soon after it commits (best effort: a replica also checks
	// on its own from time to time). The channel is closed when ctx is
	// done; a lost connection is re-established by itself.
	Changes(ctx context.Context) <-chan int64
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
}
