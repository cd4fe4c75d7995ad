package site

import "github.com/heraldfeed/herald/feed"

// KeepFailed adapts a Build's files for writing over prev, an output
// folder's previous manifest, so the sources named in failed (whose
// collections all failed) lose nothing of what was published: their
// article pages stay, and so do the previous files of every feed that
// merges one of them, its page, index.html and feeds.opml, rather than
// being replaced by ones without their items. (A source with history in
// the store is not failed in this sense: generate restores its articles
// from there. This is for a source with none, as under --no-store, where
// the previous files are all there is of it.)
// Files with no previous version are written as built. It returns the
// files to write and the keep function for Write.
func (b *Builder) KeepFailed(files []feed.File, failed []string, prev Manifest) ([]feed.File, func(path, source string) bool) {
	if len(failed) == 0 {
		return files, nil
	}
	down := map[string]bool{}
	for _, name := range failed {
		down[name] = true
	}
	held := map[string]bool{}
	for _, spec := range b.site.Feeds {
		for _, src := range spec.Sources {
			if down[src] {
				for _, f := range feed.Formats {
					held[spec.Name+f.Ext] = true
				}
				held[feedPagePath(spec.Name)] = true
				held["index.html"] = true
				held[opmlPath] = true
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
	return kept, func(path, source string) bool { return down[source] || held[path] }
}
