package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// SourceStatus is one source's collection state as reported by /healthz.
type SourceStatus struct {
	Name        string    `json:"name"`
	Type        string    `json:"type,omitempty"`
	LastRun     time.Time `json:"last_run,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastFailure time.Time `json:"last_failure,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	Items       int       `json:"items"`
	Running     bool      `json:"running"`
	NextRun     time.Time `json:"next_run,omitzero"`
	// Failures counts the source's failed collections in a row; it backs
	// off until RetryAt, skipping its runs. RetryAt is also set when
	// every feed an OPML source lists backs off: the first of their
	// retry times.
	Failures int       `json:"failures,omitempty"`
	RetryAt  time.Time `json:"retry_at,omitzero"`
	// Entries are the failing feeds an OPML source lists, each backing
	// off on its own.
	Entries []EntryStatus `json:"entries,omitempty"`
	// PerDay counts the source's articles by date over the last days,
	// oldest first, today last.
	PerDay []int `json:"articles_per_day,omitempty"`
}

// EntryStatus is one failing feed of a source that lists several.
type EntryStatus struct {
	URL       string    `json:"url"`
	Failures  int       `json:"failures"`
	RetryAt   time.Time `json:"retry_at,omitzero"`
	LastError string    `json:"last_error,omitempty"`
}

// failing reports whether the source, or a feed it lists, is failing.
func (st *SourceStatus) failing() bool {
	return st.LastError != "" || st.Failures > 0 || len(st.Entries) > 0
}

// ReplicaStatus is this process's part in a set of replicas sharing one
// store: its role, who leads, and whether it reaches the database.
type ReplicaStatus struct {
	ID          string    `json:"id"`
	Role        string    `json:"role"` // RoleLeader or RoleFollower
	Leader      string    `json:"leader,omitempty"`
	LeaderSince time.Time `json:"leader_since,omitzero"`
	// LeaderLease is "held" while the leader's lease runs (by the
	// database's clock, at the last check), "expired" once the leader
	// stopped renewing it (paused, hung, cut off) and no replica took
	// over yet.
	LeaderLease string `json:"leader_lease,omitempty"`
	// LeaseLeft is the lease's time left in seconds; negative: expired
	// that long ago.
	LeaseLeft float64 `json:"lease_left_seconds,omitzero"`
	// Database is "ok", or "unreachable" while the store does not answer:
	// the replica then serves what it last had.
	Database      string `json:"database"`
	DatabaseError string `json:"database_error,omitempty"`
	// Generation is the publication this replica serves.
	Generation int64 `json:"generation"`
}

// Replica roles.
const (
	RoleLeader   = "leader"
	RoleFollower = "follower"
)

// degraded reports whether the replica works with less than it should.
func (r *ReplicaStatus) degraded() bool {
	return r != nil && (r.Database != "ok" || r.LeaderLease == "expired")
}

// health is the /healthz document. It answers 200 whenever the process
// serves (a liveness check); Published and the source states tell an
// operator whether collection is working.
type health struct {
	Status    string         `json:"status"`
	Version   string         `json:"version,omitempty"`
	Published bool           `json:"published"`
	Pages     int            `json:"pages"`
	Sources   []SourceStatus `json:"sources"`
	Feeds     []FeedStatus   `json:"feeds,omitempty"`
	Replica   *ReplicaStatus `json:"replica,omitempty"`
}

func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, s.healthDoc())
}

// healthDoc is the operator's view of the sources and feeds, for /healthz
// and /status.
func (s *Server) healthDoc() health {
	doc := health{Status: "ok", Version: s.version, Sources: []SourceStatus{}}
	if snap := s.snap.Load(); snap != nil {
		doc.Published, doc.Pages = true, len(snap.pages)
	}
	if s.status != nil {
		if st := s.status(); st != nil {
			doc.Sources = st
		}
	}
	for _, st := range doc.Sources {
		if st.failing() {
			// Still 200: the process serves. "degraded" tells a monitor
			// that some source's last collection failed, or a feed it
			// lists is failing.
			doc.Status = "degraded"
		}
	}
	if s.feeds != nil {
		doc.Feeds = s.feeds()
		if snap := s.snap.Load(); snap != nil {
			for i, f := range doc.Feeds {
				if e := snap.pages[f.Path]; e != nil {
					doc.Feeds[i].Changed = e.changed
				}
			}
		}
	}
	if s.replica != nil {
		r := s.replica()
		doc.Replica = &r
		if r.degraded() {
			doc.Status = "degraded"
		}
	}
	return doc
}

// publicHealth is /healthz on the public listener: whether Herald is up,
// and nothing about its sources, whose errors may name hosts and paths
// that are nobody else's business.
// The version is no secret: every upstream request's User-Agent carries
// it.
// Of a replica, it says which role it has, which replica leads (host and
// process ID) and whether it reaches the database ("degraded" when not):
// what a load balancer or an operator needs, without the database's
// address or error.
type publicHealth struct {
	Status  string `json:"status"`
	Version string `json:"version,omitempty"`
	Role    string `json:"role,omitempty"`
	Leader  string `json:"leader,omitempty"`
}

func (s *Server) servePublicHealth(w http.ResponseWriter, r *http.Request) {
	doc := publicHealth{Status: "ok", Version: s.version}
	if s.replica != nil {
		rs := s.replica()
		doc.Role, doc.Leader = rs.Role, rs.Leader
		if rs.degraded() {
			doc.Status = "degraded"
		}
	}
	s.writeJSON(w, r, doc)
}

func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, doc any) {
	body, err := json.Marshal(doc)
	if err != nil {
		s.log.Error("encoding health", "error", err)
		s.text(w, r, http.StatusInternalServerError)
		return
	}
	body = append(body, '\n')
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Cache-Control"] = hdrNoStore
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(http.StatusOK)
	s.metrics.inc(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
