package config

import (
	"strings"
	"testing"
)

// TestTrailersAndCleanEverySource: trailers and clean are valid on every
// source type (issue 21: trailers was refused on a feed source), a bad
// trailer is reported at its path whatever the type, and clean defaults
// to true.
func TestTrailersAndCleanEverySource(t *testing.T) {
	const feeds = "feeds:\n  - name: all\n    title: All\n    sources: [s]\n"
	sources := map[string]string{
		"files": "    type: files\n    path: a\n",
		"feed":  "    type: feed\n    url: http://x/feed\n",
		"page":  "    type: page\n    url: http://x/\n    item: li\n    title: a\n    link: a\n",
		"opml":  "    type: opml\n    url: http://x/list.opml\n",
	}
	for typ, keys := range sources {
		t.Run(typ, func(t *testing.T) {
			base := header + "sources:\n  - name: s\n" + keys
			c, err := Parse("config.yaml", []byte(base+"    trailers: [\"more from us\"]\n"+feeds))
			if err != nil {
				t.Fatalf("trailers on a %s source: %v", typ, err)
			}
			if !c.Sources[0].CleanContent() {
				t.Errorf("clean not set: CleanContent() = false, want true")
			}
			c, err = Parse("config.yaml", []byte(base+"    clean: false\n"+feeds))
			if err != nil {
				t.Fatalf("clean: false on a %s source: %v", typ, err)
			}
			if c.Sources[0].CleanContent() {
				t.Errorf("clean: false: CleanContent() = true")
			}
			_, err = Parse("config.yaml", []byte(base+"    trailers: [\"(x\"]\n"+feeds))
			if err == nil || !strings.Contains(err.Error(), "sources[0].trailers[0]: invalid regexp") {
				t.Errorf("bad trailer on a %s source: err = %v", typ, err)
			}
		})
	}
}
