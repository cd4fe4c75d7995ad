package publish

import (
	"fmt"

	"github.com/heraldfeed/herald/feed"
)

// Failed returns the sources, in configuration order, whose collections
// have all failed: they have no good articles to publish.
func (p *Publisher) Failed() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, name := range p.order {
		if st := p.state[name]; st.done && !st.ok {
			out = append(out, name)
		}
	}
	return out
}

// KeepFailed adapts a Build's files for writing over prev, an output
// folder's previous manifest, so a source that failed loses nothing of
// what was published: its article pages stay, and so do the previous
// files of every feed that merges it and index.html, rather than being
// replaced by ones without its items. (Until a store keeps each source's
// last good articles across runs, the previous files are all there is of
// them.) Files with no previous version are written as built. It returns
// the files to write and the keep function for Write.
func (p *Publisher) KeepFailed(files []File, prev Manifest) ([]File, func(path, source string) bool) {
	failed := map[string]bool{}
	for _, name := range p.Failed() {
		failed[name] = true
	}
	if len(failed) == 0 {
		return files, nil
	}
	held := map[string]bool{}
	for _, spec := range p.site.Feeds {
		for _, src := range spec.Sources {
			if failed[src] {
				for _, f := range feed.Formats {
					held[spec.Name+f.Ext] = true
				}
				held["index.html"] = true
				break
			}
		}
	}
	kept := files[:0:0]
	for _, f := range files {
		if _, ok := prev.Files[f.Path]; ok && held[f.Path] {
			continue
		}
		kept = append(kept, f)
	}
	return kept, func(path, source string) bool { return failed[source] || held[path] }
}

// cancelled ends a collection stopped from outside (shutdown, a reload, an
// interrupted generate): not a failure of the source, so nothing of its
// status but Running changes and it is logged at info level.
func (p *Publisher) cancelled(name string, err error) error {
	p.update(name, func(st *sourceState) { st.status.Running = false })
	p.log.Info("collection cancelled", "source", name)
	return fmt.Errorf("collecting %s: %w", name, err)
}
