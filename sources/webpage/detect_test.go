package webpage

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/sourcetest"
)

// detectFixture runs detection on testdata/detect/NAME as if fetched from
// pageURL, with the given selectors.
func detectFixture(t testing.TB, name, pageURL string, given Config) (extraction, error) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", "detect", name))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := sourcetest.Fetcher(t, sources.FetchConfig{})
	given.Name, given.URL = "page", pageURL
	p, err := New(given, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p.extract(body, pageURL, "text/html; charset=utf-8")
}

func rows(ex extraction) []string {
	var out []string
	for _, a := range ex.articles {
		out = append(out, a.Title+" | "+a.URL)
	}
	return out
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name, file, url string
		given           Config
		strategy        string
		want            []string
		wantDates       int // items with a date
	}{
		{
			name: "news home with sections and a most-read aside", file: "news.html", url: "https://planet.example/",
			strategy: StrategyHTML, wantDates: 5,
			want: []string{
				"Summit ends without a deal on river water | https://planet.example/world/2026/03/01/summit-ends-without-deal",
				"Vote on the budget is delayed again | https://planet.example/politics/2026/03/01/vote-on-budget-delayed",
				"Mayor announces a run for governor | https://planet.example/politics/2026/02/28/mayor-announces-run",
				"Port strike ends after nine days | https://planet.example/business/2026/03/01/port-strike-ends",
				"Local bakery chain opens its tenth shop | https://planet.example/business/2026/02/28/bakery-chain-expands",
			},
		},
		{
			name: "blog home with full posts", file: "blog.html", url: "https://shed.example/",
			strategy: StrategyHTML, wantDates: 3,
			want: []string{
				"Spring inspection of the hives | https://shed.example/2026/02/spring-inspection/",
				"A bench from old oak | https://shed.example/2026/02/a-bench-from-old-oak/",
				"The seed order | https://shed.example/2026/01/seed-order/",
			},
		},
		{
			name: "link blog: the item is the permalink", file: "linkblog.html", url: "https://links.example/",
			strategy: StrategyHTML, wantDates: 3,
			want: []string{
				"Why caches lie | https://links.example/2026/03/01/why-caches-lie",
				"The last printer in the office | https://links.example/2026/02/28/the-last-printer",
				"City buys back its water company | https://links.example/2026/02/27/water-company",
			},
		},
		{
			name: "release list in a table", file: "releases.html", url: "https://herald.example/releases/",
			strategy: StrategyHTML, wantDates: 4,
			want: []string{
				"Herald 1.4.0 | https://herald.example/releases/v1.4.0",
				"Herald 1.3.2 | https://herald.example/releases/v1.3.2",
				"Herald 1.3.1 | https://herald.example/releases/v1.3.1",
				"Herald 1.3.0 | https://herald.example/releases/v1.3.0",
			},
		},
		{
			name: "list only in JSON-LD", file: "jsonld.html", url: "https://food.example/recipes/",
			strategy: StrategyJSONLD, wantDates: 1,
			want: []string{
				"Lentil soup with lemon | https://food.example/recipes/lentil-soup",
				"Flatbread in a pan | https://food.example/recipes/flatbread",
				"Roast carrots & cumin | https://food.example/recipes/roast-carrots",
			},
		},
		{
			name: "list only in __NEXT_DATA__", file: "nextdata.html", url: "https://dispatch.example/",
			strategy: StrategyState, wantDates: 4,
			want: []string{
				"The new phones are slower than last year's | https://dispatch.example/2026/03/phones-slower",
				"A keyboard you can fix yourself | https://dispatch.example/2026/02/fixable-keyboard",
				"What the chip shortage taught carmakers | https://dispatch.example/2026/02/chip-shortage-lessons",
				"Ten years of the same laptop | https://dispatch.example/2026/02/ten-years-same-laptop",
			},
		},
		{
			name: "WordPress block theme", file: "wordpress.html", url: "https://parish.example/",
			strategy: StrategyHTML, wantDates: 3,
			want: []string{
				"Spring fair date set | https://parish.example/2026/02/28/spring-fair-date-set/",
				"A new roof for the hall | https://parish.example/2026/02/10/new-roof-for-the-hall/",
				"The choir needs more voices | https://parish.example/2026/01/20/choir-needs-voices/",
			},
		},
		{
			name: "link aggregator table", file: "aggregator.html", url: "https://links.example/news",
			strategy: StrategyHTML,
			want: []string{
				"Rust in the kernel, one year on | https://example.com/posts/rust-in-the-kernel",
				"Why we left the cloud (2025) | https://blog.example.org/2026/02/why-we-left-the-cloud",
				"Ask: What are you reading this month? | https://links.example/item?id=403",
				"A faster hash table for small keys [pdf] | https://papers.example.edu/abs/2602.01234",
			},
		},
		{
			name: "link aggregator list: the story's link, not its discussion", file: "aggregator2.html", url: "https://crust.example/",
			strategy: StrategyHTML,
			want: []string{
				"Journaling file systems, explained with pictures | https://fs.example.org/posts/journaling-file-systems-explained",
				"The cost of small functions | https://www.example.net/2026/02/28/the-cost-of-small-functions.html",
				"A tour of the new regex engine | https://blog.example.com/a-tour-of-the-new-regex-engine",
			},
		},
		{
			name: "static site list of dated links", file: "hugo.html", url: "https://ada.example/posts/",
			strategy: StrategyHTML, wantDates: 5,
			want: []string{
				"Reading list | https://ada.example/posts/reading-list/",
				"Tmux | https://ada.example/posts/tmux/",
				"A year of cycling to work | https://ada.example/posts/a-year-of-cycling/",
				"2025 in review | https://ada.example/posts/2025-in-review/",
				"Sourdough, again | https://ada.example/posts/sourdough/",
			},
		},
		{
			name: "release notes full of links", file: "ghreleases.html", url: "https://code.example/acme/tool/releases",
			strategy: StrategyHTML, wantDates: 3,
			want: []string{
				"v2.1.0 | https://code.example/acme/tool/releases/tag/v2.1.0",
				"v2.0.0 | https://code.example/acme/tool/releases/tag/v2.0.0",
				"v1.9.3 | https://code.example/acme/tool/releases/tag/v1.9.3",
			},
		},
		{
			name: "release history of cards", file: "releasecards.html", url: "https://pkgs.example/project/tool/#history",
			strategy: StrategyHTML, wantDates: 4,
			want: []string{
				"3.2.0 | https://pkgs.example/project/tool/3.2.0/",
				"3.1.1 | https://pkgs.example/project/tool/3.1.1/",
				"3.1.0 | https://pkgs.example/project/tool/3.1.0/",
				"3.0.0 | https://pkgs.example/project/tool/3.0.0/",
			},
		},
		{
			name: "video channel rendered from embedded state", file: "video.html", url: "https://video.example/@workshop/videos",
			strategy: StrategyState,
			want: []string{
				"Sharpening a chisel by hand | https://video.example/watch?v=vid1",
				"Building a workbench from pallets | https://video.example/watch?v=vid2",
				"Five joints every beginner should know | https://video.example/watch?v=vid3",
			},
		},
		{
			name: "video channel, newer state shape", file: "video2.html", url: "https://video.example/@bench/videos",
			strategy: StrategyState,
			want: []string{
				"Restoring a hand plane | https://video.example/watch?v=new1",
				"Cutting dovetails for the first time | https://video.example/watch?v=new2",
				"How sharp is sharp enough? | https://video.example/watch?v=new3",
			},
		},
		{
			name: "cards: links around headlines, hashed classes", file: "cards.html", url: "https://metro.example/",
			strategy: StrategyHTML,
			want: []string{
				"Flood defences fail on the river for a second winter | https://metro.example/news/local-68123456",
				"Rail fares to rise in March, operators confirm | https://metro.example/news/national-68123401",
				"City sign striker on a four-year deal | https://metro.example/sport/football/68123399",
				"Library to open on Sundays from April | https://metro.example/news/local-68123377",
			},
		},
		{
			name: "link blog: headlines starting paragraphs, permalinks marked #", file: "blogmarks.html", url: "https://bea.example/",
			strategy: StrategyHTML,
			want: []string{
				"SQLite 3.52.0 | https://bea.example/2026/Mar/1/sqlite/",
				"On naming things | https://bea.example/2026/Feb/28/naming/",
				"A talk about terminal emulators | https://bea.example/2026/Feb/27/terminals/",
				"Notes on writing parsers by hand | https://bea.example/2026/Feb/26/notes-on-parsers/",
			},
		},
		{
			name: "blog of divs with headers in its posts", file: "divblog.html", url: "https://notes.example/",
			strategy: StrategyHTML, wantDates: 3,
			want: []string{
				"Walking the coast path in winter | https://notes.example/notes/walking-the-coast-path",
				"Fixing the old radio | https://notes.example/notes/fixing-the-old-radio",
				"Bread | https://notes.example/notes/bread",
			},
		},
		{
			name: "JSON-LD of the top stories, the HTML of all", file: "jsonld-partial.html", url: "https://town.example/",
			strategy: StrategyHTML,
			want: []string{
				"Council approves the new cycle lanes | https://town.example/local/2026/03/01/cycle-lanes-approved",
				"School roof repairs finished early | https://town.example/local/2026/03/01/school-roof-repairs",
				"Market hall to reopen in the spring | https://town.example/local/2026/02/28/market-hall-reopens",
				"Bus timetable changes from Monday | https://town.example/local/2026/02/28/bus-timetable-changes",
				"Heron returns to the town pond | https://town.example/local/2026/02/27/heron-returns",
				"Library extends its opening hours | https://town.example/local/2026/02/27/library-hours",
			},
		},
		{
			name: "news of divs: labels beside headlines, small stories without headings", file: "news2.html", url: "https://courier.example/",
			strategy: StrategyHTML,
			want: []string{
				"Dam inspection finds cracks in the spillway wall | https://courier.example/news/2026/03/01/dam-inspection-finds-cracks",
				"Valley Rovers promoted after a draw at home | https://courier.example/sport/2026/03/01/valley-rovers-promoted",
				"Keep the night bus, it is the only way home for many | https://courier.example/opinion/2026/02/28/keep-the-night-bus",
				"New clinic opens on the high street | https://courier.example/news/2026/02/28/new-clinic-opens",
				"Council tax to rise by three percent next year | https://courier.example/news/2026/02/27/council-tax-to-rise-by-three-percent",
				"Road closed for a week for bridge repairs | https://courier.example/news/2026/02/27/road-closed-for-bridge-repairs",
				"Margaret Hill, teacher at the village school for forty years | https://courier.example/obituaries/2026/02/26/margaret-hill",
			},
		},
		{
			name: "JSON-LD graph of blog posts", file: "jsonld-graph.html", url: "https://lab.example/",
			strategy: StrategyJSONLD, wantDates: 3,
			want: []string{
				"Calibrating the new spectrometer | https://lab.example/notes/calibrating-the-spectrometer",
				"Why our samples drifted | https://lab.example/notes/sample-drift",
				"A cheaper cold trap | https://lab.example/notes/cheap-cold-trap",
			},
		},
		{
			name: "microdata", file: "microdata.html", url: "https://garden.example/",
			strategy: StrategyMicrodata,
			want: []string{
				"Frost on the beans | https://garden.example/d/frost-on-the-beans",
				"Seed potatoes are chitting | https://garden.example/d/seed-potatoes",
				"New compost bays | https://garden.example/d/new-compost-bays",
			},
		},
		{
			name: "page laid out in an element named for its sidebar", file: "sidebarlayout.html", url: "https://notes.example/",
			strategy: StrategyHTML, wantDates: 3,
			want: []string{
				"Walking the coast path in winter | https://notes.example/notes/walking-the-coast-path",
				"Fixing the old radio | https://notes.example/notes/fixing-the-old-radio",
				"Bread | https://notes.example/notes/bread",
			},
		},
		{
			name: "asides known by their headings", file: "news3.html", url: "https://harbour.example/",
			strategy: StrategyHTML,
			want: []string{
				"Ferry timetable changes for spring | https://harbour.example/2026/03/01/ferry-timetable-changes-for-spring",
				"Harbour wall repair begins next week | https://harbour.example/2026/03/01/harbour-wall-repair-begins",
				"Fishing quota talks stall again | https://harbour.example/2026/02/28/fishing-quota-talks-stall",
				"Lifeboat crew honoured for winter rescue | https://harbour.example/2026/02/28/lifeboat-crew-honoured",
			},
		},
		{
			name: "an archive listed in a <nav>", file: "navarchive.html", url: "https://wonders.example/archive/",
			strategy: StrategyHTML,
			want: []string{
				"The moss under the bridge | https://wonders.example/2026/02/the-moss-under-the-bridge/",
				"Counting starlings at dusk | https://wonders.example/2026/01/counting-starlings/",
				"A winter rockpool | https://wonders.example/2025/12/a-winter-rockpool/",
				"Lichens on the churchyard wall | https://wonders.example/2025/11/lichens-on-the-churchyard-wall/",
			},
		},
		{
			name: "rows that are links: a label, the title, a date", file: "rows.html", url: "https://tool.example/changelog/",
			strategy: StrategyHTML, wantDates: 3,
			want: []string{
				"Sync is twice as fast on large folders | https://tool.example/changelog/faster-sync",
				"Dark mode follows the system setting | https://tool.example/changelog/dark-mode",
				"Uploads retry after a dropped connection | https://tool.example/changelog/fix-upload-retries",
			},
		},
		{
			name: "given item, the rest detected", file: "news.html", url: "https://planet.example/",
			given: Config{Item: "section article.story"}, strategy: StrategyHTML, wantDates: 4,
			want: []string{
				"Vote on the budget is delayed again | https://planet.example/politics/2026/03/01/vote-on-budget-delayed",
				"Mayor announces a run for governor | https://planet.example/politics/2026/02/28/mayor-announces-run",
				"Port strike ends after nine days | https://planet.example/business/2026/03/01/port-strike-ends",
				"Local bakery chain opens its tenth shop | https://planet.example/business/2026/02/28/bakery-chain-expands",
			},
		},
		{
			name: "given title wins", file: "blog.html", url: "https://shed.example/",
			given: Config{Title: ".entry-meta a"}, strategy: StrategyHTML, wantDates: 3,
			want: []string{
				"Sam | https://shed.example/2026/02/spring-inspection/",
				"Sam | https://shed.example/2026/02/a-bench-from-old-oak/",
				"Sam | https://shed.example/2026/01/seed-order/",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex, err := detectFixture(t, tt.file, tt.url, tt.given)
			if err != nil {
				t.Fatalf("extract: %v (detection: %s)", err, ex.det)
			}
			if ex.det.Strategy != tt.strategy {
				t.Errorf("strategy %q, want %q (%s)", ex.det.Strategy, tt.strategy, ex.det)
			}
			if diff := cmp.Diff(tt.want, rows(ex)); diff != "" {
				t.Errorf("items (-want +got):\n%s\ndetection: %s", diff, ex.det)
			}
			if sel := ex.det.Selectors; sel.Item != "" {
				// The selectors shown can be frozen into the configuration
				// and publish the same items.
				frozen, err := detectFixture(t, tt.file, tt.url, Config{Item: sel.Item, Title: sel.Title, Link: sel.Link, Date: sel.Date, Summary: sel.Summary})
				if err != nil {
					t.Fatalf("frozen selectors: %v", err)
				}
				if diff := cmp.Diff(rows(ex), rows(frozen)); diff != "" {
					t.Errorf("frozen selectors %s read other items (-detected +frozen):\n%s", ex.det, diff)
				}
			}
			dated := 0
			for _, a := range ex.articles {
				if !a.Published.IsZero() {
					dated++
				}
			}
			if dated != tt.wantDates {
				t.Errorf("%d items dated, want %d (%s)", dated, tt.wantDates, ex.det)
			}
		})
	}
}

func TestDetectNothing(t *testing.T) {
	// A marketing page: feature cards, plans, customer logos, a footer.
	// Detection says none, and names what it tried.
	ex, err := detectFixture(t, "marketing.html", "https://syncly.example/", Config{})
	if !errors.Is(err, sources.ErrNoItems) {
		t.Fatalf("error %v, want sources.ErrNoItems; items %q (%s)", err, rows(ex), ex.det)
	}
	if len(ex.articles) != 0 {
		t.Errorf("false items: %q", rows(ex))
	}
	for _, s := range []string{StrategyJSONLD, StrategyHTML, StrategyState} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say it tried %s", err, s)
		}
	}
}

func TestDetectRefuses(t *testing.T) {
	tests := []struct {
		name, body, ctype string
		want              error
	}{
		{"rss", `<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>`, "application/xml", ErrIsFeed},
		{"atom served as html", `<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>`, "text/html", ErrIsFeed},
		{"json feed", `{"version":"https://jsonfeed.org/version/1.1","items":[]}`, "application/json", ErrIsFeed},
		{"image", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png", ErrNotHTML},
		{"pdf without a type", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "", ErrNotHTML},
		{"json api", `[{"id":1}]`, "application/json", ErrNotHTML},
	}
	f, _ := sourcetest.Fetcher(t, sources.FetchConfig{})
	p, err := New(Config{Name: "p", URL: "https://example.com/"}, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.extract([]byte(tt.body), "https://example.com/", tt.ctype)
			if !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDetectWordPressAPI(t *testing.T) {
	// A theme that renders its posts in the browser: the HTML has no
	// list, the REST API it links to has.
	mux := http.NewServeMux()
	var srvURL string
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<html><head><link rel="https://api.w.org/" href="%s/wp-json/"></head><body><div id="root"></div><nav><a href="/a">A</a></nav></body></html>`, srvURL)
	})
	mux.HandleFunc("/wp-json/wp/v2/posts", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("per_page") != "20" {
			http.Error(w, "per_page", 400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `[{"link":"%[1]s/2026/03/01/hello/","title":{"rendered":"Hello &amp; welcome"},"date_gmt":"2026-03-01T09:00:00","excerpt":{"rendered":"<p>First post.</p>"}},
{"link":"%[1]s/2026/02/01/second/","title":{"rendered":"Second"},"date_gmt":"2026-02-01T09:00:00"},
{"link":"","title":{"rendered":"No link"}}]`, srvURL)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	srvURL = srv.URL
	f, _ := sourcetest.Fetcher(t, sources.FetchConfig{})
	p := upPage(t, f, Config{URL: srv.URL + "/"})
	det, arts, err := p.Inspect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if det.Strategy != StrategyWordPress || !strings.Contains(det.Path, "/wp-json/wp/v2/posts") {
		t.Errorf("detection %s, want %s with the posts URL", det, StrategyWordPress)
	}
	var got []string
	for _, a := range arts {
		got = append(got, a.Title+" | "+a.URL+" | "+a.Published.Format("2006-01-02"))
	}
	want := []string{"Hello & welcome | " + srv.URL + "/2026/03/01/hello/ | 2026-03-01", "Second | " + srv.URL + "/2026/02/01/second/ | 2026-02-01"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDetectLayoutLost(t *testing.T) {
	// Detection found items, then the page holds none: the source fails
	// with ErrNoItems and the last good items stay.
	body, err := os.ReadFile(filepath.Join("testdata", "detect", "blog.html"))
	if err != nil {
		t.Fatal(err)
	}
	srv := sourcetest.NewServer(t, string(body))
	f, _ := sourcetest.Fetcher(t, sources.FetchConfig{})
	p := upPage(t, f, Config{URL: srv.URL + "/"})
	k := sourcetest.For(p)
	good, err := k.Collect(context.Background())
	if err != nil || len(good) != 3 {
		t.Fatalf("first collection: %d items, %v", len(good), err)
	}
	srv.Set(200, `<html><body><p>Under maintenance</p></body></html>`)
	p.Now = func() time.Time { return upNow.Add(48 * time.Hour) }
	got, err := k.Collect(context.Background())
	if !errors.Is(err, sources.ErrNoItems) || !strings.Contains(err.Error(), "no article list found") {
		t.Fatalf("error %v, want no article list found", err)
	}
	if diff := cmp.Diff(good, got); diff != "" {
		t.Errorf("last good items not kept (-want +got):\n%s", diff)
	}
}

func TestFeedLinks(t *testing.T) {
	body := `<html><head><base href="https://cdn.example/site/">
<link rel="alternate" type="application/rss+xml" href="rss.xml">
<link rel="Alternate" type="application/atom+xml" href="/atom.xml">
<link rel="alternate" type="application/json" href="https://example.com/feed.json">
<link rel="alternate" type="text/html" hreflang="fr" href="/fr/">
<link rel="stylesheet" type="text/css" href="/s.css">
<link rel="alternate" type="application/rss+xml" href="rss.xml">
</head></html>`
	want := []string{"https://cdn.example/site/rss.xml", "https://cdn.example/atom.xml", "https://example.com/feed.json"}
	if diff := cmp.Diff(want, FeedLinks([]byte(body), "https://example.com/")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDetectDeterministic(t *testing.T) {
	first, err := detectFixture(t, "news.html", "https://planet.example/", Config{})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		again, err := detectFixture(t, "news.html", "https://planet.example/", Config{})
		if err != nil {
			t.Fatal(err)
		}
		if first.det.String() != again.det.String() {
			t.Fatalf("detection changed: %s then %s", first.det, again.det)
		}
	}
}

func FuzzDetect(f *testing.F) {
	names, err := filepath.Glob(filepath.Join("testdata", "detect", "*.html"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add(`<script>window.__NUXT__ = {"a":[{"title":"x y","url":"/1/2/3"},{"title":"x","url":"/a/b/c"},{"title":"z","url":"/d/e/f"}]}</script>`)
	fetcher, _ := sourcetest.Fetcher(f, sources.FetchConfig{})
	p, err := New(Config{Name: "fuzz", URL: "https://example.com/dir/page"}, fetcher, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		ex, err := p.extract([]byte(body), "https://example.com/dir/page", "text/html")
		if err != nil {
			if len(ex.articles) != 0 {
				t.Fatalf("error %v with %d articles", err, len(ex.articles))
			}
			return
		}
		if len(ex.articles) == 0 {
			t.Fatal("no error and no articles")
		}
		for _, a := range ex.articles {
			if a.Title == "" || a.URL == "" || a.ID == "" {
				t.Errorf("article without title, URL or ID: %+v", a)
			}
		}
		if _, err := compile(ex.det.Selectors); err != nil {
			t.Errorf("detected selectors do not compile: %v", err)
		}
	})
}
