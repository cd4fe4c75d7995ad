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
	// PerDay counts the source's articles by date over the last days,
	// oldest first, today last.
	PerDay []int `json:"articles_per_day,omitempty"`
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
		if st.LastError != "" {
			// Still 200: the process serves. "degraded" tells a monitor
			// that some source's last collection failed.
			doc.Status = "degraded"
		}
	}
	if s.feeds != nil {
		doc.Feeds = s.feeds()
	}
	return doc
}

// publicHealth is /healthz on the public listener: whether Herald is up,
// and nothing about its sources, whose errors may name hosts and paths
// that are nobody else's business.
// The version is no secret: every upstream request's User-Agent carries
// it.
type publicHealth struct {
	Status  string `json:"status"`
	Version string `json:"version,omitempty"`
}

func (s *Server) servePublicHealth(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, publicHealth{Status: "ok", Version: s.version})
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
