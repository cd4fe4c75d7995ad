// Package storetest is the conformance suite every store backend runs:
// the date rules, history, retention and records, through the
// store.Store interface only.
package storetest

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/internal/store"
	"github.com/heraldfeed/herald/sources"
)

// Run runs the suite, its cases in parallel; open returns a new, empty
// store for each test.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	for _, tc := range []struct {
		name string
		test func(t *testing.T, s store.Store)
	}{
		{"Records", testRecords},
		{"StateRoundTrip", testStateRoundTrip},
		{"DroppedItemStays", testDroppedItemStays},
		{"EditUpdatesOnce", testEditUpdatesOnce},
		{"SameBytesNewDates", testSameBytesNewDates},
		{"RetentionKeep", testRetentionKeep},
		{"RetentionKeepBesides", testRetentionKeepBesides},
		{"Mark", testMark},
		{"RetentionKeepFor", testRetentionKeepFor},
		{"NilArticlesKeepHistory", testNilArticles},
		{"SourcesApart", testSourcesApart},
		{"KeptAreCurrent", testKeptAreCurrent},
		{"ArticleByPage", testArticleByPage},
		{"Places", testPlaces},
		{"EditMovesOld", testEditMovesOld},
		{"Entries", testEntries},
		{"ItemsCounted", testItemsCounted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // a store of its own; a PostgreSQL one takes a database to create
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.test(t, s)
		})
	}
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Article returns a normalized-looking article dated published.
func Article(id, content string, published time.Time) feed.Article {
	return feed.Article{
		ID: id, URL: "https://example.com/" + id, Title: "Title " + id, Content: content,
		Published: published, Updated: published, Source: "src",
	}
}

func save(t *testing.T, s store.Store, now time.Time, r store.Retention, list ...feed.Article) bool {
	t.Helper()
	return saveSource(t, s, "src", now, r, list...)
}

// saveSource is save for the source named source.
func saveSource(t *testing.T, s store.Store, source string, now time.Time, r store.Retention, list ...feed.Article) bool {
	t.Helper()
	if list == nil {
		list = []feed.Article{}
	}
	changed, err := s.Save(context.Background(), store.Collection{
		Key: source + "@k", Source: source, Articles: list, Now: now, Retention: r,
		Record: store.Record{Status: store.Status{Name: source, LastRun: now}},
	})
	if err != nil {
		t.Fatalf("Save: %v", err)
	}
	// Every save counts the history into the record's status: new
	// articles, edits, duplicates and retention's removals alike.
	rec, _, err := s.Load(context.Background(), source+"@k")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if n := len(articles(t, s, source)); rec.Status.Items != n {
		t.Fatalf("after Save the status counts %d articles, the history holds %d", rec.Status.Items, n)
	}
	return changed
}

// articles is the source's history, newest first.
func articles(t *testing.T, s store.Store, source string) []feed.Article {
	t.Helper()
	out, err := History(context.Background(), s, source)
	if err != nil {
		t.Fatalf("Entries: %v", err)
	}
	return out
}

// slots is the source's places, spelled "id" for an article and "-id"
// for a place it left.
func slots(t *testing.T, s store.Store, source string) []string {
	t.Helper()
	list, err := s.Slots(context.Background(), source)
	if err != nil {
		t.Fatalf("Slots: %v", err)
	}
	out := []string{}
	for i, sl := range list {
		if i > 0 && sl.Seq <= list[i-1].Seq {
			t.Errorf("Slots out of order: %d after %d", sl.Seq, list[i-1].Seq)
		}
		if sl.Gone {
			out = append(out, "-"+sl.ID)
		} else {
			out = append(out, sl.ID)
		}
	}
	return out
}

func ids(list []feed.Article) []string {
	out := []string{}
	for _, a := range list {
		out = append(out, a.ID)
	}
	return out
}

func testRecords(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, ok, err := s.Load(ctx, "nope"); ok || err != nil {
		t.Fatalf("Load of a missing key = ok %v, err %v; want false, nil", ok, err)
	}
	want := store.Record{
		State: sources.State{
			Validators: sources.Validators{ETag: `"v1"`, LastModified: "Sun, 01 Mar 2026 12:00:00 GMT"},
			Failures:   2, RetryAt: t0.Add(time.Hour),
			FirstSeen: map[string]time.Time{"a": t0},
		},
		Status: store.Status{Name: "src", LastRun: t0, LastError: "boom", Items: 3},
	}
	for _, key := range []string{"a@1", "b@2"} {
		if _, err := s.Save(ctx, store.Collection{Key: key, Source: "src", Record: want, Now: t0}); err != nil {
			t.Fatal(err)
		}
	}
	got, ok, err := s.Load(ctx, "a@1")
	if err != nil || !ok {
		t.Fatalf("Load = ok %v, err %v", ok, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
	if err := s.Retain(ctx, []string{"b@2"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Load(ctx, "a@1"); ok {
		t.Error("Retain kept a key it was not given")
	}
	if _, ok, _ := s.Load(ctx, "b@2"); !ok {
		t.Error("Retain dropped a key it was given")
	}
}

// testStateRoundTrip: every field of a source's state comes back as it
// was saved, nested feeds' states and articles included.
func testStateRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	sub := Article("s1", "sub article", t0)
	sub.Author = feed.Author{Name: "Ann", Email: "ann@example.com"}
	sub.Tags = []string{"x", "y"}
	sub.Enclosures = []feed.Enclosure{{URL: "https://example.com/a.mp3", Type: "audio/mpeg", Length: 9}}
	want := store.Record{
		State: sources.State{
			Validators: sources.Validators{ETag: `W/"x"`, LastModified: "Sun, 01 Mar 2026 12:00:00 GMT"},
			Failures:   1,
			RetryAt:    t0.Add(time.Minute),
			FirstSeen:  map[string]time.Time{"a": t0, "b": t0.Add(time.Second)},
			FullText:   map[string]string{"https://example.com/a": "<p>full text, ünïcode</p>"},
			Skipped:    map[string]string{"drafts/x.md": "no title"},
			Files:      map[string]sources.FileStamp{"posts/a.md": {Size: 42, ModTime: t0.UnixNano() + 123, ID: "a"}},
			Subs: map[string]sources.Sub{"https://example.org/feed.xml": {
				State:    sources.State{Validators: sources.Validators{ETag: `"sub"`}, Failures: 3},
				Articles: []feed.Article{sub},
			}},
		},
		Status: store.Status{Name: "src", LastRun: t0, LastSuccess: t0, LastFailure: t0.Add(-time.Hour), LastError: "", Items: 7},
	}
	if _, err := s.Save(ctx, store.Collection{Key: "src@k", Source: "src", Record: want, Now: t0}); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Load(ctx, "src@k")
	if err != nil || !ok {
		t.Fatalf("Load = ok %v, err %v", ok, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
}

func testDroppedItemStays(t *testing.T, s store.Store) {
	a, b := Article("a", "A", t0), Article("b", "B", t0.Add(time.Hour))
	save(t, s, t0.Add(2*time.Hour), store.Retention{}, a, b)
	if changed := save(t, s, t0.Add(3*time.Hour), store.Retention{}, b); changed {
		t.Error("dropping an item reported a change")
	}
	if diff := cmp.Diff([]string{"b", "a"}, ids(articles(t, s, "src"))); diff != "" {
		t.Errorf("ids after upstream dropped a (-want +got):\n%s", diff)
	}
}

func testEditUpdatesOnce(t *testing.T, s store.Store) {
	save(t, s, t0, store.Retention{}, Article("a", "first", t0))
	edited := Article("a", "second", t0.Add(48*time.Hour)) // the source re-dated it too
	edited.Updated = t0.Add(48 * time.Hour)
	if !save(t, s, t0.Add(72*time.Hour), store.Retention{}, edited) {
		t.Error("an edit reported no change")
	}
	if save(t, s, t0.Add(96*time.Hour), store.Retention{}, edited) {
		t.Error("the same edit collected again reported a change")
	}
	got := articles(t, s, "src")
	if len(got) != 1 {
		t.Fatalf("got %d articles, want 1", len(got))
	}
	if !got[0].Published.Equal(t0) {
		t.Errorf("Published = %v, want %v (never moves)", got[0].Published, t0)
	}
	if want := t0.Add(48 * time.Hour); !got[0].Updated.Equal(want) {
		t.Errorf("Updated = %v, want %v", got[0].Updated, want)
	}
	if got[0].Content != "second" {
		t.Errorf("Content = %q, want the edit", got[0].Content)
	}
	// An edit that carries no newer date is dated by the collection.
	undated := Article("a", "third", t0)
	now := t0.Add(100 * time.Hour)
	save(t, s, now, store.Retention{}, undated)
	if got := articles(t, s, "src")[0]; !got.Updated.Equal(now) || !got.Published.Equal(t0) {
		t.Errorf("undated edit: Published %v Updated %v, want %v %v", got.Published, got.Updated, t0, now)
	}
}

func testSameBytesNewDates(t *testing.T, s store.Store) {
	save(t, s, t0, store.Retention{}, Article("a", "same", t0))
	touched := Article("a", "same", t0.Add(24*time.Hour)) // a new mtime, same bytes
	if save(t, s, t0.Add(48*time.Hour), store.Retention{}, touched) {
		t.Error("same content with new dates reported a change")
	}
	got := articles(t, s, "src")[0]
	if !got.Published.Equal(t0) || !got.Updated.Equal(t0) {
		t.Errorf("dates moved to %v / %v, want both %v", got.Published, got.Updated, t0)
	}
}

func testRetentionKeep(t *testing.T, s store.Store) {
	var list []feed.Article
	for i, id := range []string{"a", "b", "c", "d", "e"} {
		list = append(list, Article(id, id, t0.Add(time.Duration(i)*time.Hour)))
	}
	keep := store.Retention{Keep: 3}
	save(t, s, t0.Add(10*time.Hour), keep, list...)
	if got := ids(articles(t, s, "src")); len(got) != 5 {
		t.Fatalf("retention removed current articles: %v", got)
	}
	// The source now returns only the newest: of the four it dropped, the
	// three newest stay besides it, the oldest goes.
	if !save(t, s, t0.Add(11*time.Hour), keep, list[4]) {
		t.Error("retention reported no change")
	}
	if diff := cmp.Diff([]string{"e", "d", "c", "b"}, ids(articles(t, s, "src"))); diff != "" {
		t.Errorf("after keep 3 (-want +got):\n%s", diff)
	}
	// The place of the removed one stays, so later places keep their
	// positions.
	if diff := cmp.Diff([]string{"-a", "b", "c", "d", "e"}, slots(t, s, "src")); diff != "" {
		t.Errorf("places after keep 3 (-want +got):\n%s", diff)
	}
}

// testMark: a history's mark changes with every change to it (an
// article added, edited, removed by retention), and only then.
func testMark(t *testing.T, s store.Store) {
	ctx := context.Background()
	mark := func() store.Mark {
		t.Helper()
		m, err := s.Mark(ctx, "src")
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	empty := mark()
	if empty != (store.Mark{}) {
		t.Errorf("empty history's mark = %+v", empty)
	}
	a, b := Article("a", "a", t0), Article("b", "b", t0.Add(time.Hour))
	save(t, s, t0.Add(2*time.Hour), store.Retention{}, a)
	one := mark()
	if one.Rev == 0 || one.Count != 1 {
		t.Errorf("mark after adding an article = %+v", one)
	}
	save(t, s, t0.Add(3*time.Hour), store.Retention{}, a)
	if mark() != one {
		t.Error("a collection that changed nothing changed the mark")
	}
	edited := a
	edited.Content = "a, edited"
	save(t, s, t0.Add(4*time.Hour), store.Retention{}, edited)
	two := mark()
	if two.Rev <= one.Rev {
		t.Error("an edit left the mark as it was")
	}
	saveSource(t, s, "other", t0, store.Retention{}, b)
	if mark() != two {
		t.Error("another source's change moved this one's mark")
	}
	save(t, s, t0.Add(5*time.Hour), store.Retention{Keep: 1}, b)
	three := mark()
	if three.Rev <= two.Rev || three.Count != 2 {
		t.Errorf("adding b: mark %+v after %+v", three, two)
	}
	save(t, s, t0.Add(6*time.Hour), store.Retention{Keep: 1}, Article("c", "c", t0.Add(2*time.Hour)))
	if m := mark(); m.Rev <= three.Rev || m.Count != 2 {
		t.Errorf("a collection that added c and let retention remove a: mark %+v after %+v", m, three)
	}
	if other, err := s.Mark(ctx, "none"); err != nil || other != empty {
		t.Errorf("an unknown source's mark = %+v, %v; want that of an empty history", other, err)
	}
}

// testRetentionKeepBesides: keep counts only the articles the source no
// longer returns. An upstream going from items 1–10 to 11–12 with keep 5
// leaves 7: the 2 it returns and the 5 newest of those it dropped. And an
// old article a source still returns is never removed, however many it
// returns: deleting one old file of many keeps the others.
func testRetentionKeepBesides(t *testing.T, s store.Store) {
	keep := store.Retention{Keep: 5}
	var first, second []feed.Article
	for i := 1; i <= 12; i++ {
		a := Article(fmt.Sprintf("i%02d", i), fmt.Sprint(i), t0.Add(time.Duration(i)*time.Hour))
		if i <= 10 {
			first = append(first, a)
		} else {
			second = append(second, a)
		}
	}
	save(t, s, t0.Add(20*time.Hour), keep, first...)
	save(t, s, t0.Add(21*time.Hour), keep, second...)
	want := []string{"i12", "i11", "i10", "i09", "i08", "i07", "i06"}
	if diff := cmp.Diff(want, ids(articles(t, s, "src"))); diff != "" {
		t.Errorf("keep 5 after 1–10 then 11–12 (-want +got):\n%s", diff)
	}
	// 20 current articles, keep 3: the source stops returning its oldest.
	other := store.Retention{Keep: 3}
	var many []feed.Article
	for i := range 20 {
		many = append(many, Article(fmt.Sprintf("m%02d", i), fmt.Sprint(i), t0.Add(time.Duration(i)*time.Minute)))
	}
	saveSource(t, s, "files", t0.Add(time.Hour), other, many...)
	saveSource(t, s, "files", t0.Add(2*time.Hour), other, many[1:]...)
	if got := ids(articles(t, s, "files")); len(got) != 20 || !slices.Contains(got, "m00") {
		t.Errorf("deleting the oldest of 20 with keep 3 left %d articles (%v): the deleted one goes only past 3 others", len(got), got)
	}
}

func testRetentionKeepFor(t *testing.T, s store.Store) {
	old, recent := Article("old", "o", t0), Article("new", "n", t0.Add(20*24*time.Hour))
	r := store.Retention{KeepFor: 7 * 24 * time.Hour}
	save(t, s, t0.Add(21*24*time.Hour), r, old, recent)
	save(t, s, t0.Add(21*24*time.Hour), r, recent)
	if diff := cmp.Diff([]string{"new"}, ids(articles(t, s, "src"))); diff != "" {
		t.Errorf("after keep_for 7 days (-want +got):\n%s", diff)
	}
}

func testNilArticles(t *testing.T, s store.Store) {
	save(t, s, t0, store.Retention{Keep: 1}, Article("a", "a", t0), Article("b", "b", t0))
	changed, err := s.Save(context.Background(), store.Collection{Key: "src@k", Source: "src", Now: t0, Retention: store.Retention{Keep: 1}})
	if err != nil || changed {
		t.Fatalf("Save without articles = %v, %v; want false, nil", changed, err)
	}
	if got := ids(articles(t, s, "src")); len(got) != 2 {
		t.Errorf("a collection without articles changed history: %v", got)
	}
}

func testSourcesApart(t *testing.T, s store.Store) {
	save(t, s, t0, store.Retention{}, Article("a", "a", t0))
	if _, err := s.Save(context.Background(), store.Collection{Key: "other@k", Source: "other", Now: t0,
		Articles: []feed.Article{Article("a", "other a", t0)}}); err != nil {
		t.Fatal(err)
	}
	if got := articles(t, s, "src"); len(got) != 1 || got[0].Content != "a" {
		t.Errorf("src's history = %+v", got)
	}
	if got := articles(t, s, "none"); len(got) != 0 {
		t.Errorf("unknown source has %d articles", len(got))
	}
}

func testKeptAreCurrent(t *testing.T, s store.Store) {
	keep := store.Retention{Keep: 1}
	save(t, s, t0, keep, Article("a", "a", t0), Article("b", "b", t0.Add(time.Hour)),
		Article("c", "c", t0.Add(2*time.Hour)), Article("d", "d", t0.Add(3*time.Hour)))
	// Nothing read, a and d unchanged (Kept), b and c gone: of those the
	// newest stays (keep 1), b goes; a, older, is current and stays.
	changed, err := s.Save(context.Background(), store.Collection{Key: "src@k", Source: "src", Now: t0,
		Articles: []feed.Article{}, Kept: []string{"a", "d"}, Retention: keep})
	if err != nil || !changed {
		t.Fatalf("Save = %v, %v; want a change (b expired)", changed, err)
	}
	if diff := cmp.Diff([]string{"d", "c", "a"}, ids(articles(t, s, "src"))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	changed, err = s.Save(context.Background(), store.Collection{Key: "src@k", Source: "src", Now: t0,
		Articles: []feed.Article{}, Kept: []string{"a", "d"}, Retention: keep})
	if err != nil || changed {
		t.Errorf("unchanged Save = %v, %v; want no change", changed, err)
	}
}

func testArticleByPage(t *testing.T, s store.Store) {
	a := Article("a", "body", t0)
	a.Page = "articles/a-1.html"
	save(t, s, t0, store.Retention{}, a, Article("b", "b", t0))
	got, ok, err := s.ArticleByPage(context.Background(), "articles/a-1.html")
	if err != nil || !ok || got.ID != "a" || got.Content != "body" || !got.Published.Equal(t0) {
		t.Errorf("ArticleByPage = %+v, %v, %v", got, ok, err)
	}
	if _, ok, err := s.ArticleByPage(context.Background(), "articles/none.html"); ok || err != nil {
		t.Errorf("ArticleByPage of a missing page = %v, %v", ok, err)
	}
}

// testPlaces: new articles take new places, oldest first (a rerun of a
// cold import places them alike); an edit of a fresh article stays where
// it is; places are never reused, also across sources.
func testPlaces(t *testing.T, s store.Store) {
	list := []feed.Article{
		Article("c", "c", t0.Add(2*time.Hour)), Article("a", "a", t0), Article("b", "b", t0.Add(time.Hour)),
	}
	save(t, s, t0, store.Retention{}, list...)
	if diff := cmp.Diff([]string{"a", "b", "c"}, slots(t, s, "src")); diff != "" {
		t.Errorf("places of a first collection, oldest first (-want +got):\n%s", diff)
	}
	saveSource(t, s, "other", t0, store.Retention{}, Article("x", "x", t0))
	edited := list[1]
	edited.Content = "a, edited"
	if _, err := s.Save(context.Background(), store.Collection{Key: "src@k", Source: "src", Now: t0.Add(time.Hour),
		Articles: []feed.Article{edited, list[0], list[2]}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, slots(t, s, "src")); diff != "" {
		t.Errorf("an edit with Fresh 0 moved (-want +got):\n%s", diff)
	}
	src, _ := s.Slots(context.Background(), "src")
	other, _ := s.Slots(context.Background(), "other")
	if len(other) != 1 || other[0].Seq <= src[len(src)-1].Seq {
		t.Errorf("other source's place %+v is not after src's %+v", other, src)
	}
	if got := articles(t, s, "src"); got[2].ID != "a" || got[2].Content != "a, edited" {
		t.Errorf("edited article = %+v", got[2])
	}
}

// testEditMovesOld: with Fresh 2, an edit of one of the two newest stays
// in place; an edit of an older one moves it to a new place and leaves a
// gone one.
func testEditMovesOld(t *testing.T, s store.Store) {
	var list []feed.Article
	for i := range 4 {
		list = append(list, Article(fmt.Sprint("a", i), fmt.Sprint(i), t0.Add(time.Duration(i)*time.Hour)))
	}
	c := store.Collection{Key: "src@k", Source: "src", Now: t0, Articles: list, Fresh: 2}
	if _, err := s.Save(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	c.Articles = slices.Clone(list)
	c.Articles[3].Content, c.Articles[0].Content = "3, edited", "0, edited"
	c.Now = t0.Add(10 * time.Hour)
	if changed, err := s.Save(context.Background(), c); err != nil || !changed {
		t.Fatalf("Save = %v, %v", changed, err)
	}
	if diff := cmp.Diff([]string{"-a0", "a1", "a2", "a3", "a0"}, slots(t, s, "src")); diff != "" {
		t.Errorf("places after editing the newest and the oldest (-want +got):\n%s", diff)
	}
	got := articles(t, s, "src")
	if len(got) != 4 || got[3].ID != "a0" || !got[3].Published.Equal(t0) || !got[3].Updated.Equal(c.Now) {
		t.Errorf("moved edit keeps its date and is updated now: %+v", got)
	}
}

// testEntries: Entries returns the articles of the sources asked whose
// places are in range, in place order.
func testEntries(t *testing.T, s store.Store) {
	ctx := context.Background()
	save(t, s, t0, store.Retention{}, Article("a", "a", t0), Article("b", "b", t0.Add(time.Hour)))
	saveSource(t, s, "other", t0, store.Retention{}, Article("x", "x", t0))
	saveSource(t, s, "third", t0, store.Retention{}, Article("y", "y", t0))
	src, _ := s.Slots(ctx, "src")
	all, err := s.Entries(ctx, []string{"src", "other"}, 0, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range all {
		got = append(got, e.Article.ID)
	}
	if diff := cmp.Diff([]string{"a", "b", "x"}, got); diff != "" {
		t.Errorf("Entries of src and other (-want +got):\n%s", diff)
	}
	one, err := s.Entries(ctx, []string{"src", "other"}, src[1].Seq, src[1].Seq)
	if err != nil || len(one) != 1 || one[0].Article.ID != "b" || one[0].Seq != src[1].Seq || !one[0].Article.Published.Equal(t0.Add(time.Hour)) {
		t.Errorf("Entries of b's place = %+v, %v", one, err)
	}
	if none, err := s.Entries(ctx, nil, 0, math.MaxInt64); err != nil || len(none) != 0 {
		t.Errorf("Entries of no source = %+v, %v", none, err)
	}
}

// History is the source's history in s, newest first.
func History(ctx context.Context, s store.Store, source string) ([]feed.Article, error) {
	entries, err := s.Entries(ctx, []string{source}, 0, math.MaxInt64)
	out := make([]feed.Article, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.Article)
	}
	feed.SortNewestFirst(out)
	return out, err
}

// testItemsCounted: a collection with articles is saved with its record's
// Status.Items set to the history's size after it, whatever it said.
func testItemsCounted(t *testing.T, s store.Store) {
	ctx := context.Background()
	save(t, s, t0, store.Retention{}, Article("a", "a", t0), Article("b", "b", t0))
	if _, err := s.Save(ctx, store.Collection{Key: "src@k", Source: "src", Now: t0, Articles: []feed.Article{Article("c", "c", t0)},
		Record: store.Record{Status: store.Status{Name: "src", Items: 99}}}); err != nil {
		t.Fatal(err)
	}
	rec, ok, err := s.Load(ctx, "src@k")
	if err != nil || !ok || rec.Status.Items != 3 {
		t.Errorf("record after a collection = %+v, %v, %v; want Items 3", rec.Status, ok, err)
	}
}
