//go:build extracteval

package extract_test

// The extraction scoring harness (README: Article extraction). It is
// behind a build tag because its corpora are downloaded, not committed:
//
//	HERALD_EXTRACT_CORPUS=/path/to/article-extraction-benchmark \
//	  go test -tags extracteval -run TestExtractEval -v ./sources/extract/
//
// The folder holds one or both layouts: ground-truth.json with html/*.html
// (scrapinghub/article-extraction-benchmark, the .gz files unpacked), and
// test-pages/*/{source.html,expected.html} (mozilla/readability). Several
// folders may be listed, separated by the OS path list separator.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	readability "codeberg.org/readeck/go-readability/v2"
	distiller "github.com/markusmobius/go-domdistiller"
	trafilatura "github.com/markusmobius/go-trafilatura"
	"golang.org/x/net/html"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources/extract"
	"github.com/heraldfeed/herald/sources/local"
)

// evalPage is one page of a corpus with the text of its article.
type evalPage struct {
	name  string
	url   *url.URL
	html  []byte
	truth string
}

// candidate extracts the article's text from a page; u is nil for a saved
// page (no URL known).
type candidate struct {
	name string
	run  func(page []byte, u *url.URL) string
}

func candidates(t *testing.T) []candidate {
	trailers, err := extract.NewTrailers(nil)
	if err != nil {
		t.Fatal(err)
	}
	traf := func(fallback bool, focus trafilatura.ExtractionFocus) func([]byte, *url.URL) string {
		return func(page []byte, u *url.URL) string {
			r, err := trafilatura.Extract(bytes.NewReader(page), trafilatura.Options{
				OriginalURL: u, EnableFallback: fallback, Focus: focus,
				ExcludeComments: true, IncludeImages: true, HtmlDateMode: trafilatura.Disabled,
			})
			if err != nil || r == nil {
				return ""
			}
			return r.ContentText
		}
	}
	return []candidate{
		{"herald (sources/extract)", func(page []byte, u *url.URL) string {
			r, err := extract.Extract(context.Background(), bytes.NewReader(page), extract.Options{URL: u, Trailers: trailers})
			if err != nil {
				return ""
			}
			return feed.HTMLText(r.Content, -1)
		}},
		{"herald saved page (local.ReadHTML)", func(page []byte, _ *url.URL) string {
			a, err := local.ReadHTML(context.Background(), page, trailers)
			if err != nil {
				return ""
			}
			return feed.HTMLText(a.Content, -1)
		}},
		{"readeck/go-readability v2", func(page []byte, u *url.URL) string {
			if u == nil {
				u = &url.URL{}
			}
			art, err := readability.FromReader(bytes.NewReader(page), u)
			if err != nil {
				return ""
			}
			var b bytes.Buffer
			if art.RenderHTML(&b) != nil {
				return ""
			}
			return feed.HTMLText(b.String(), -1)
		}},
		{"go-domdistiller", func(page []byte, u *url.URL) string {
			r, err := distiller.ApplyForReader(bytes.NewReader(page), &distiller.Options{OriginalURL: u, SkipPagination: true})
			if err != nil || r == nil {
				return ""
			}
			return r.Text
		}},
		{"go-trafilatura", traf(false, trafilatura.Balanced)},
		{"go-trafilatura precision", traf(false, trafilatura.FavorPrecision)},
		{"go-trafilatura fallback", traf(true, trafilatura.Balanced)},
		{"go-trafilatura fallback precision", traf(true, trafilatura.FavorPrecision)},
	}
}

func TestExtractEval(t *testing.T) {
	dirs := os.Getenv("HERALD_EXTRACT_CORPUS")
	if dirs == "" {
		t.Skip("HERALD_EXTRACT_CORPUS names no corpus folder")
	}
	var pages []evalPage
	for _, dir := range filepath.SplitList(dirs) {
		pages = append(pages, loadCorpus(t, dir)...)
	}
	if len(pages) == 0 {
		t.Fatalf("no pages under %s", dirs)
	}
	only := os.Getenv("HERALD_EXTRACT_ONLY") // a candidate name prefix
	paths := []struct {
		name string
		url  func(evalPage) *url.URL
	}{
		{"saved page", func(evalPage) *url.URL { return nil }},
		{"full text", func(p evalPage) *url.URL { return p.url }},
	}
	fmt.Printf("%d pages\n\n| path | candidate | F1 | precision | recall |\n| --- | --- | --- | --- | --- |\n", len(pages))
	for _, c := range candidates(t) {
		if !strings.HasPrefix(c.name, only) {
			continue
		}
		for _, path := range paths {
			scores := make([]shingleScore, len(pages))
			var wg sync.WaitGroup
			sem := make(chan struct{}, 2)
			for i, p := range pages {
				wg.Go(func() {
					sem <- struct{}{}
					defer func() { <-sem }()
					got := c.run(p.html, path.url(p))
					scores[i] = score(p.truth, got)
					if dump := os.Getenv("HERALD_EXTRACT_DUMP"); dump != "" {
						// For reading by hand: what was extracted and the truth.
						base := filepath.Join(dump, strings.ReplaceAll(p.name, "/", "_"))
						_ = os.WriteFile(base+".got", []byte(got), 0o644)
						_ = os.WriteFile(base+".want", []byte(p.truth), 0o644)
					}
				})
			}
			wg.Wait()
			f1, prec, rec := summarize(scores)
			fmt.Printf("| %s | %s | %.3f | %.3f | %.3f |\n", path.name, c.name, f1, prec, rec)
			if os.Getenv("HERALD_EXTRACT_WORST") != "" {
				worst(pages, scores)
			}
		}
	}
}

// worst prints the pages that score lowest, to look at by hand.
func worst(pages []evalPage, scores []shingleScore) {
	idx := make([]int, len(pages))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]].f1() < scores[idx[b]].f1() })
	for _, i := range idx[:min(12, len(idx))] {
		s := scores[i]
		fmt.Printf("    %.3f p=%.3f r=%.3f %s\n", s.f1(), s.precision(), s.recall(), pages[i].name)
	}
}

func loadCorpus(t *testing.T, dir string) []evalPage {
	var pages []evalPage
	if data, err := os.ReadFile(filepath.Join(dir, "ground-truth.json")); err == nil {
		var truth map[string]struct {
			ArticleBody string `json:"articleBody"`
			URL         string `json:"url"`
		}
		if err := json.Unmarshal(data, &truth); err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		for id, tr := range truth {
			page, err := os.ReadFile(filepath.Join(dir, "html", id+".html"))
			if err != nil {
				t.Fatalf("%s: %v", dir, err)
			}
			u, _ := url.Parse(tr.URL)
			pages = append(pages, evalPage{name: "aeb/" + id, url: u, html: page, truth: tr.ArticleBody})
		}
	}
	sub, _ := filepath.Glob(filepath.Join(dir, "test-pages", "*", "expected.html"))
	for _, exp := range sub {
		d := filepath.Dir(exp)
		page, err := os.ReadFile(filepath.Join(d, "source.html"))
		if err != nil {
			continue
		}
		want, err := os.ReadFile(exp)
		if err != nil {
			t.Fatal(err)
		}
		u := &url.URL{Scheme: "http", Host: "fakehost", Path: "/test/page.html"}
		if meta, err := os.ReadFile(filepath.Join(d, "expected-metadata.json")); err == nil {
			// Only pages readability treats as articles: the others'
			// expected output is a page, not an article body.
			var m struct{ Readerable *bool }
			if json.Unmarshal(meta, &m) == nil && m.Readerable != nil && !*m.Readerable {
				continue
			}
		}
		pages = append(pages, evalPage{name: "mozilla/" + filepath.Base(d), url: u, html: page, truth: htmlText(want)})
	}
	sort.Slice(pages, func(i, j int) bool { return pages[i].name < pages[j].name })
	return pages
}

// htmlText is the text of a whole expected page, blocks separating words.
func htmlText(page []byte) string {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return ""
	}
	var b bytes.Buffer
	if err := html.Render(&b, doc); err != nil {
		return ""
	}
	return feed.HTMLText(b.String(), -1)
}

// Token-shingle scoring as article-extraction-benchmark's evaluate.py: word
// 4-grams counted with multiplicity, tp/fp/fn normalized per page so long
// pages do not weigh more, precision and recall averaged over pages, F1
// from the averages.
type shingleScore struct{ tp, fp, fn float64 }

var tokenRE = regexp.MustCompile(`[\p{L}\p{N}_]+`)

func shingles(text string) map[string]int {
	toks := tokenRE.FindAllString(text, -1)
	m := map[string]int{}
	for i := 0; i < max(1, len(toks)-3); i++ {
		k := strings.Join(toks[i:min(i+4, len(toks))], "\x00")
		if k != "" {
			m[k]++
		}
	}
	return m
}

func score(truth, pred string) shingleScore {
	ts, ps := shingles(truth), shingles(pred)
	var s shingleScore
	for k, n := range ts {
		m := ps[k]
		s.tp += float64(min(n, m))
		s.fn += float64(max(0, n-m))
	}
	for k, m := range ps {
		s.fp += float64(max(0, m-ts[k]))
	}
	if sum := s.tp + s.fp + s.fn; sum > 0 {
		s.tp, s.fp, s.fn = s.tp/sum, s.fp/sum, s.fn/sum
	}
	return s
}

func (s shingleScore) precision() float64 {
	switch {
	case s.fp == 0 && s.fn == 0:
		return 1
	case s.tp == 0 && s.fp == 0:
		return 0
	}
	return s.tp / (s.tp + s.fp)
}

func (s shingleScore) recall() float64 {
	switch {
	case s.fp == 0 && s.fn == 0:
		return 1
	case s.tp == 0 && s.fn == 0:
		return 0
	}
	return s.tp / (s.tp + s.fn)
}

func (s shingleScore) f1() float64 {
	p, r := s.precision(), s.recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func summarize(scores []shingleScore) (f1, precision, recall float64) {
	var np, nr int
	for _, s := range scores {
		if s.tp+s.fp > 0 {
			precision += s.precision()
			np++
		}
		if s.tp+s.fn > 0 {
			recall += s.recall()
			nr++
		}
	}
	precision /= float64(max(np, 1))
	recall /= float64(max(nr, 1))
	if precision+recall > 0 {
		f1 = 2 * precision * recall / (precision + recall)
	}
	return f1, precision, recall
}
