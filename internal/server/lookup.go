package server

import (
	"net/http"
	"strings"
	"sync"
)

// lookupCacheSize is how many pages found through Options.Lookup are
// kept: enough for the few archive documents and article pages being
// read at a time, small against a history.
const lookupCacheSize = 64

// lookupCache keeps the last pages found through Options.Lookup, by
// path. Publish clears it: the pages may have changed with the data.
type lookupCache struct {
	mu      sync.Mutex
	entries map[string]*entry
	order   []string // oldest first
}

func (c *lookupCache) get(path string) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries[path]
}

func (c *lookupCache) put(path string, e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]*entry{}
	}
	if _, ok := c.entries[path]; ok {
		c.entries[path] = e // a newer version
		return
	}
	if len(c.order) >= lookupCacheSize {
		delete(c.entries, c.order[0])
		c.order = c.order[1:]
	}
	c.entries[path] = e
	c.order = append(c.order, path)
}

func (c *lookupCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries, c.order = nil, nil
}

// lookupPage finds a page through Options.Lookup (or its cache) and
// returns its entry, or nil when there is none or it failed (logged).
func (s *Server) lookupPage(r *http.Request, snap *snapshot) *entry {
	p := r.URL.Path
	if r.URL.RawPath != "" && strings.Contains(strings.ToLower(r.URL.RawPath), "%2f") {
		return nil
	}
	key := pageKey(p)
	if validPath(key) != nil {
		return nil
	}
	if e := s.looked.get(key); e != nil {
		// In a replica set, a conditional request for another version
		// asks Lookup again: it may know a newer one (a replica that lags
		// serves the older page until Lookup can give the one of its next
		// publication). A process alone answers from the cache.
		if inm := r.Header["If-None-Match"]; !snap.stamped || len(inm) == 0 || matchETag(inm, e.etag[0], e.etagGz[0]) {
			return e
		}
	}
	page, ok, err := s.lookup(r.Context(), key)
	if err != nil {
		s.log.Error("reading page", "path", key, "error", err)
		return nil
	}
	if !ok {
		return nil
	}
	cache := snap.cache
	if page.Immutable {
		cache = immutableCache
	}
	e, err := build(page, nil, cache, s.pagePolicy, s.now(), snap.stamped)
	if err != nil {
		s.log.Error("reading page", "path", key, "error", err)
		return nil
	}
	// Served from memory by net/http: no body files to keep open.
	for i, f := range e.files {
		if f != nil {
			f.Close()
			e.files[i] = nil
		}
	}
	s.looked.put(key, e)
	return e
}
