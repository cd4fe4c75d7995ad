package app

import (
	"crypto/sha256"
	"path"
	"slices"
	"sync"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/websub"
)

// feedChanges tells the WebSub hub which feed URLs changed from one
// publication to the next: only feeds published before, whose bytes
// changed. The first publication of the process is the baseline (a
// restart does not ping), and a feed published for the first time has no
// subscribers through the hub yet.
type feedChanges struct {
	n    *websub.Notifier
	mu   sync.Mutex
	last map[string][sha256.Size]byte // feed path → hash of the last publication
}

// published compares the feeds among files with the previous publication
// and queues a ping for each changed one, at base (base_url) + its path.
// It does not wait for the hub.
func (c *feedChanges) published(base string, files []feed.File) {
	c.ping(c.changed(base, files))
}

// ping queues a ping for each topic.
func (c *feedChanges) ping(topics []string) {
	if c != nil && len(topics) > 0 {
		c.n.Publish(topics...)
	}
}

// changed compares the feeds among files with the previous publication
// and returns the URLs, base (base_url) + path, of those that changed.
func (c *feedChanges) changed(base string, files []feed.File) []string {
	if c == nil {
		return nil
	}
	exts := make([]string, len(feed.Formats))
	for i, f := range feed.Formats {
		exts[i] = f.Ext
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	next := map[string][sha256.Size]byte{}
	var topics []string
	for _, f := range files {
		if !slices.Contains(exts, path.Ext(f.Path)) {
			continue
		}
		sum := sha256.Sum256(f.Body)
		next[f.Path] = sum
		if prev, ok := c.last[f.Path]; ok && prev != sum {
			topics = append(topics, base+f.Path)
		}
	}
	c.last = next
	return topics
}
