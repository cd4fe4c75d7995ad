package site

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/store"
	"github.com/heraldfeed/herald/internal/store/storetest"
)

// chain walks feed name's JSON Feed from its head along next_url
// (prev-archive), reading documents from the build's files or, for those
// a build leaves out, from Page. It returns each document's item IDs and
// its path, head first.
func chain(t *testing.T, b *Builder, files []feed.File, base, name string) (docs [][]string, paths []string, bodies []string) {
	t.Helper()
	byPath := map[string]feed.File{}
	for _, f := range files {
		byPath[f.Path] = f
	}
	path := name + ".json"
	for range 10000 {
		f, ok := byPath[path]
		if !ok {
			var err error
			f, ok, err = b.Page(context.Background(), path)
			if err != nil || !ok {
				t.Fatalf("%s: ok %v, %v", path, ok, err)
			}
			if !f.Immutable {
				t.Errorf("%s, a full archive page, is not Immutable", path)
			}
		}
		var jf struct {
			NextURL string `json:"next_url"`
			Items   []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		if err := json.Unmarshal(f.Body, &jf); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var ids []string
		for _, it := range jf.Items {
			ids = append(ids, it.ID)
		}
		docs, paths, bodies = append(docs, ids), append(paths, path), append(bodies, string(f.Body))
		if jf.NextURL == "" {
			return docs, paths, bodies
		}
		rest, ok := strings.CutPrefix(jf.NextURL, base)
		if !ok {
			t.Fatalf("%s: next_url %s is not under %s", path, jf.NextURL, base)
		}
		path = rest
	}
	t.Fatal("the chain does not end")
	return nil, nil, nil
}

// TestDerivedArchives drives a log through random collections of two
// sources (new articles, edits of fresh and old ones, removals by
// retention) and checks after each build what RFC 5005 readers rely on:
// following prev-archive from the head finds every stored article exactly
// once; no document holds more than the limit; a full page never gains an
// item nor changes its links, it can only lose items (moved to the head by
// an edit, or removed); an edited old article is in the head.
func TestDerivedArchives(t *testing.T) {
	const limit = 5
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			st := store.NewMemory()
			base := "http://x.example/"
			even := regexp.MustCompile(`-\d\d[02468]\b`)
			s := Site{Title: "T", BaseURL: base, Feeds: []FeedSpec{
				{Name: "all", Title: "All", Sources: []string{"a", "b"}, Filter: feed.Filter{Limit: limit}},
				{Name: "even", Title: "Even", Sources: []string{"a", "b"}, Filter: feed.Filter{Limit: limit, Include: []*regexp.Regexp{even}}},
			}}
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			current := map[string]map[string]feed.Article{"a": {}, "b": {}}
			n := 0
			fullSeen := map[string]string{} // path -> IDs when first full
			for round := range 30 {
				now = now.Add(time.Hour)
				src := []string{"a", "b"}[rng.IntN(2)]
				cur := current[src]
				for range rng.IntN(8) {
					n++
					id := fmt.Sprintf("urn:test:%s-%03d", src, n)
					cur[id] = feed.Article{ID: id, Title: id, URL: base + id, Content: "v0", Source: src,
						Published: now.Add(-time.Duration(rng.IntN(1000)) * time.Hour), Updated: now}
				}
				var edited string
				if len(cur) > 0 && rng.IntN(3) == 0 { // edit one, maybe old
					for id, a := range cur {
						a.Content = fmt.Sprint("v", round)
						cur[id], edited = a, id
						break
					}
				}
				if len(cur) > 3 && rng.IntN(4) == 0 { // the source drops one
					for id := range cur {
						if id != edited {
							delete(cur, id)
							break
						}
					}
				}
				list := []feed.Article{}
				for _, a := range cur {
					list = append(list, a)
				}
				before, _ := st.Slots(context.Background(), src)
				moves := edited != "" && inNewest(before, edited, len(before)) && !inNewest(before, edited, limit)
				if _, err := st.Save(context.Background(), store.Collection{Key: src, Source: src, Articles: list,
					Now: now, Retention: store.Retention{Keep: 2}, Fresh: limit}); err != nil {
					t.Fatal(err)
				}
				b := New(s, Options{Log: st})
				files, err := b.Build(context.Background(), []Input{{Name: "a", OK: true}, {Name: "b", OK: true}}, now, nil)
				if err != nil {
					t.Fatal(err)
				}
				docs, paths, bodies := chain(t, b, files, base, "all")
				seen := map[string]int{}
				for i, d := range docs {
					if len(d) > limit {
						t.Errorf("round %d: %s holds %d items, over %d", round, paths[i], len(d), limit)
					}
					for _, id := range d {
						seen[id]++
					}
				}
				stored := 0
				for _, name := range []string{"a", "b"} {
					list, _ := storetest.History(context.Background(), st, name)
					for _, a := range list {
						stored++
						if seen[a.ID] != 1 {
							t.Errorf("round %d: stored %s is in %d documents", round, a.ID, seen[a.ID])
						}
					}
				}
				if len(seen) != stored {
					t.Errorf("round %d: %d items in the chain, %d stored", round, len(seen), stored)
				}
				// A filtered feed: each stored article that passes, once.
				evenDocs, _, _ := chain(t, b, files, base, "even")
				inEven := map[string]int{}
				for _, d := range evenDocs {
					if len(d) > limit {
						t.Errorf("round %d: an even document holds %d items", round, len(d))
					}
					for _, id := range d {
						inEven[id]++
					}
				}
				for _, name := range []string{"a", "b"} {
					list, _ := storetest.History(context.Background(), st, name)
					for _, a := range list {
						if want := even.MatchString(a.Title); inEven[a.ID] != map[bool]int{true: 1}[want] {
							t.Errorf("round %d: %s (passes: %v) is in %d documents of the filtered feed", round, a.ID, want, inEven[a.ID])
						}
					}
				}
				// An edit of one of the source's Fresh newest stays in place
				// (an archive page when the other source added more since);
				// an older one moves to the head.
				if moves && !strings.Contains(strings.Join(docs[0], " "), edited) {
					t.Errorf("round %d: edited %s is not in the head %v", round, edited, docs[0])
				}
				for i, p := range paths {
					if i == 0 || len(docs[i]) == 0 {
						continue
					}
					links := regexp.MustCompile(`"next_url":"[^"]*"`).FindString(bodies[i])
					if was, ok := fullSeen[p]; ok {
						wasIDs, wasLinks, _ := strings.Cut(was, "|")
						if wasLinks != links {
							t.Errorf("round %d: %s changed its links: %s, was %s", round, p, links, wasLinks)
						}
						for _, id := range docs[i] {
							if !strings.Contains(" "+wasIDs+" ", " "+id+" ") {
								t.Errorf("round %d: full page %s gained %s (had %s)", round, p, id, wasIDs)
							}
						}
					} else if len(docs[i]) == limit && i > 1 || (i == 1 && !strings.Contains(p, fmt.Sprint(len(paths)-1))) {
						fullSeen[p] = strings.Join(docs[i], " ") + "|" + links
					}
				}
			}
		})
	}
}

// inNewest reports whether id is at one of the newest n places of slots
// that hold articles.
func inNewest(slots []store.Slot, id string, n int) bool {
	for i := len(slots) - 1; i >= 0 && n > 0; i-- {
		if slots[i].Gone {
			continue
		}
		if slots[i].ID == id {
			return true
		}
		n--
	}
	return false
}

// TestArchiveLinksFollowBaseURL: archive documents are rendered with the
// base URL of the configuration that serves them: after a change of
// base_url every link of every document is under the new one.
func TestArchiveLinksFollowBaseURL(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var list []feed.Article
	for i := range 23 {
		list = append(list, feed.Article{ID: fmt.Sprint("urn:test:i", i), Title: fmt.Sprint("T", i), URL: fmt.Sprintf("http://x.example/%d", i),
			Published: now.Add(time.Duration(i) * time.Hour), Updated: now.Add(time.Duration(i) * time.Hour)})
	}
	st := testLog(t, now, map[string][]feed.Article{"s": list})
	for _, base := range []string{"http://old.example/", "https://new.example:8443/feeds/"} {
		s := Site{Title: "T", BaseURL: base, Feeds: []FeedSpec{{Name: "w", Title: "W", Sources: []string{"s"}, Filter: feed.Filter{Limit: 5}}}}
		b := New(s, Options{Log: st})
		files, err := b.Build(context.Background(), []Input{{Name: "s", OK: true}}, now, nil)
		if err != nil {
			t.Fatal(err)
		}
		docs, _, bodies := chain(t, b, files, base, "w")
		if len(docs) != 5 { // head 5, open page 3 (23 = 3×5 + 3 + 5), 3 full pages
			t.Errorf("%s: %d documents, want 5", base, len(docs))
		}
		for _, body := range bodies {
			for _, u := range regexp.MustCompile(`"(?:next_url|feed_url|home_page_url)":"([^"]*)"`).FindAllStringSubmatch(body, -1) {
				if !strings.HasPrefix(u[1], base) {
					t.Errorf("%s: link %s is not under the base URL", base, u[1])
				}
			}
		}
	}
}
