package webpage

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
)

// This file reads article lists a page holds as JSON: schema.org JSON-LD,
// framework state embedded in scripts, and a WordPress REST API's posts.

// maxJSONScript bounds the script a page may embed that is decoded as
// JSON: page bodies are bounded by max_body already; this keeps a page of
// many scripts from decoding them all at full size.
const maxJSONScript = 4 << 20

// jsonLD returns the largest article list (three items or more) in the
// page's JSON-LD, and where it was found.
func jsonLD(doc *goquery.Document, base string) (string, []feed.Article) {
	bu := feed.ParseHTTPURL(base)
	if bu == nil {
		return "", nil
	}
	var bestPath string
	var best []feed.Article
	doc.Find(`script[type="application/ld+json"]`).Each(func(i int, s *goquery.Selection) {
		text := s.Text()
		if len(text) > maxJSONScript {
			return
		}
		var v any
		if err := json.Unmarshal([]byte(strings.TrimSpace(text)), &v); err != nil {
			return
		}
		walkJSON(v, fmt.Sprintf("ld+json[%d]", i), 0, func(path string, list []any) {
			var arts []feed.Article
			for _, e := range list {
				if a, ok := ldArticle(e, bu); ok {
					arts = append(arts, a)
				}
			}
			if len(arts) >= 3 && len(arts)*2 >= len(list) && len(arts) > len(best) {
				bestPath, best = path, arts
			}
		})
	})
	return bestPath, dedupe(best)
}

// ldArticle reads one element of a JSON-LD list: a ListItem (its url and
// name, or its item) or an article object.
func ldArticle(e any, bu *url.URL) (feed.Article, bool) {
	m, ok := e.(map[string]any)
	if !ok {
		return feed.Article{}, false
	}
	types := ldTypes(m["@type"])
	if slices.Contains(types, "ListItem") {
		if inner, ok := m["item"].(map[string]any); ok {
			a, ok := ldArticle(inner, bu)
			if ok {
				return a, true
			}
			if a.URL != "" && a.Title == "" {
				a.Title = str(m["name"])
				return a, a.Title != ""
			}
		}
		a := feed.Article{Title: feed.HTMLText(str(m["name"]), -1)}
		a.URL = jsonURL(bu, str(m["url"]))
		if a.URL == "" {
			a.URL = jsonURL(bu, str(m["item"]))
		}
		return a, a.URL != "" && a.Title != ""
	} else if !slices.ContainsFunc(types, func(t string) bool { return slices.Contains(articleTypes, t) }) {
		return feed.Article{}, false
	}
	a := feed.Article{Title: feed.HTMLText(first(str(m["headline"]), str(m["name"])), -1)}
	a.URL = jsonURL(bu, str(m["url"]))
	if a.URL == "" {
		a.URL = jsonURL(bu, first(str(m["mainEntityOfPage"]), str(m["@id"])))
	}
	if mp, ok := m["mainEntityOfPage"].(map[string]any); ok && a.URL == "" {
		a.URL = jsonURL(bu, first(str(mp["@id"]), str(mp["url"])))
	}
	a.Published = jsonDate(first(str(m["datePublished"]), str(m["dateCreated"]), str(m["uploadDate"])))
	a.Content = str(m["description"])
	return a, a.URL != "" && a.Title != ""
}

func ldTypes(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			out = append(out, str(e))
		}
		return out
	}
	return nil
}

// walkJSON calls fn with every array of objects under v (at most 12
// levels deep) and its path, visiting object keys in sorted order.
func walkJSON(v any, path string, depth int, fn func(path string, list []any)) {
	if depth > 12 {
		return
	}
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walkJSON(t[k], path+"."+k, depth+1, fn)
		}
	case []any:
		fn(path, t)
		for i, e := range t {
			walkJSON(e, fmt.Sprintf("%s[%d]", path, i), depth+1, fn)
		}
	}
}

// assignRE matches a script that assigns a JSON value to a name:
// window.__NUXT__ = {…}, var ytInitialData = {…}.
var assignRE = regexp.MustCompile(`^\s*(?:(?:window|self|globalThis)\s*\.\s*|(?:var|let|const)\s+)?([\w$.]+|\[["'][\w$]+["']\])\s*=\s*([\[{])`)

// embeddedJSON returns the best list of titled links in the page's
// embedded JSON: <script type="application/json"> (__NEXT_DATA__, Nuxt
// 2's and others' state) and scripts assigning JSON to a name.
func embeddedJSON(doc *goquery.Document, base string) (string, []feed.Article) {
	bu := feed.ParseHTTPURL(base)
	if bu == nil {
		return "", nil
	}
	var bestPath string
	var best []feed.Article
	bestScore := 0.0
	doc.Find("script:not([src])").Each(func(i int, s *goquery.Selection) {
		typ := strings.ToLower(strings.TrimSpace(s.AttrOr("type", "")))
		text := s.Text()
		if len(text) > maxJSONScript || typ == "application/ld+json" {
			return
		}
		name := "script"
		if id := s.AttrOr("id", ""); id != "" {
			name += "#" + id
		} else {
			name += fmt.Sprintf("[%d]", i)
		}
		var dec *json.Decoder
		switch {
		case strings.HasSuffix(typ, "json"):
			dec = json.NewDecoder(strings.NewReader(text))
		case typ == "" || strings.Contains(typ, "javascript"):
			m := assignRE.FindStringSubmatchIndex(text)
			if m == nil {
				return
			}
			name += " " + text[m[2]:m[3]]
			dec = json.NewDecoder(strings.NewReader(text[m[4]:]))
		default:
			return
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return
		}
		walkJSON(v, name, 0, func(path string, list []any) {
			if len(list) < 3 {
				return
			}
			var arts []feed.Article
			var words []int
			art := 0
			for _, e := range list {
				a, ok := stateArticle(e, bu, 0)
				if !ok {
					continue
				}
				arts = append(arts, a)
				words = append(words, len(strings.Fields(a.Title)))
				if u := feed.ParseHTTPURL(a.URL); u != nil && articleLike(u, bu) || !a.Published.IsZero() {
					art++
				}
			}
			if len(arts) < 3 || len(arts)*10 < len(list)*6 || art*2 < len(arts) {
				return
			}
			slices.Sort(words)
			score := float64(len(arts)) * min(float64(words[len(words)/2]), 8)
			if score > bestScore {
				bestPath, best, bestScore = path, arts, score
			}
		})
	})
	return bestPath, dedupe(best)
}

var (
	titleKeys   = []string{"headline", "title", "name", "text", "label"}
	urlKeys     = []string{"url", "href", "link", "permalink", "canonical_url", "canonicalUrl", "webUrl", "web_url", "uri", "path"}
	dateKeys    = []string{"datePublished", "date_published", "publishedAt", "published_at", "publishDate", "pubDate", "date", "date_gmt", "createdAt", "created_at", "firstPublished"}
	summaryKeys = []string{"excerpt", "summary", "description", "dek", "teaser", "subtitle", "standfirst"}
)

// stateArticle reads an object of framework state as an article: a title
// and a URL found in it or in its objects (a few levels down, not in
// images or authors).
func stateArticle(e any, bu *url.URL, depth int) (feed.Article, bool) {
	m, ok := e.(map[string]any)
	if !ok || depth > 10 {
		return feed.Article{}, false
	}
	var a feed.Article
	for _, k := range titleKeys {
		if t := textOf(m[k]); t != "" {
			a.Title = t
			break
		}
	}
	for _, k := range urlKeys {
		if u := jsonURL(bu, str(m[k])); u != "" && !mediaURL(u) {
			a.URL = u
			break
		}
	}
	for _, k := range dateKeys {
		if t := jsonDate(str(m[k])); !t.IsZero() {
			a.Published = t
			break
		}
	}
	for _, k := range summaryKeys {
		if t := textOf(m[k]); t != "" {
			a.Content = t
			break
		}
	}
	if a.Title != "" && a.URL != "" {
		return a, true
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		lk := strings.ToLower(k)
		if strings.Contains(lk, "thumb") || strings.Contains(lk, "image") || strings.Contains(lk, "author") ||
			strings.Contains(lk, "avatar") || strings.Contains(lk, "owner") || strings.Contains(lk, "channel") {
			continue
		}
		if _, ok := m[k].(map[string]any); !ok {
			continue
		}
		inner, _ := stateArticle(m[k], bu, depth+1)
		if a.Title == "" {
			a.Title = inner.Title
		}
		if a.URL == "" {
			a.URL = inner.URL
		}
		if a.Published.IsZero() {
			a.Published = inner.Published
		}
		if a.Title != "" && a.URL != "" {
			return a, true
		}
	}
	return a, false
}

// textOf is a JSON value's text: a string, or an object's rendered,
// simpleText, text, content or runs of text (WordPress, YouTube's two
// shapes).
func textOf(v any) string {
	switch t := v.(type) {
	case string:
		return feed.HTMLText(t, -1)
	case map[string]any:
		for _, k := range []string{"rendered", "simpleText", "text", "content"} {
			if s, ok := t[k].(string); ok {
				return feed.HTMLText(s, -1)
			}
		}
		if runs, ok := t["runs"].([]any); ok {
			var b strings.Builder
			for _, r := range runs {
				if rm, ok := r.(map[string]any); ok {
					b.WriteString(str(rm["text"]))
				}
			}
			return feed.CollapseSpace(b.String())
		}
	}
	return ""
}

func str(v any) string {
	s, _ := v.(string)
	return strings.TrimSpace(s)
}

func first(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// jsonURL resolves a URL found in JSON, keeping http(s) URLs and
// absolute paths (a relative word is a slug, not a link).
func jsonURL(bu *url.URL, s string) string {
	if s == "" || !strings.Contains(s, "/") {
		return ""
	}
	u := resolveHTTP(bu, s)
	if u == nil {
		return ""
	}
	return u.String()
}

func mediaURL(u string) bool {
	p := strings.ToLower(u)
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	for _, ext := range []string{".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".avif", ".mp3", ".mp4", ".css", ".js"} {
		if strings.HasSuffix(p, ext) {
			return true
		}
	}
	return false
}

func jsonDate(s string) time.Time {
	if s == "" || len(s) > 64 {
		return time.Time{}
	}
	t, err := sources.ParseDate(s, nil)
	if err != nil {
		return time.Time{}
	}
	return t
}

// dedupe drops articles whose link came earlier on the page, so a list
// that repeats a story (a lead also among the teasers) shows it once, at
// its first place; feed.Normalize's dedupe, later, works on IDs across
// sources and in date order.
func dedupe(arts []feed.Article) []feed.Article {
	seen := map[string]bool{}
	out := arts[:0:0]
	for _, a := range arts {
		k := feed.CanonicalURL(a.URL)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, a)
	}
	return out
}

// wordPressPosts returns the URL of the posts of the WordPress REST API
// the page links to (<link rel="https://api.w.org/">), or "".
func wordPressPosts(doc *goquery.Document, base string) string {
	href, ok := doc.Find(`link[rel="https://api.w.org/"]`).First().Attr("href")
	if !ok {
		return ""
	}
	root := feed.ParseHTTPURL(sources.ResolveRef(base, strings.TrimSpace(href)))
	if root == nil {
		return ""
	}
	if rr := root.Query().Get("rest_route"); rr != "" || strings.Contains(root.RawQuery, "rest_route") {
		q := root.Query()
		q.Set("rest_route", strings.TrimSuffix(rr, "/")+"/wp/v2/posts")
		q.Set("per_page", "20")
		root.RawQuery = q.Encode()
		return root.String()
	}
	root.Path = strings.TrimSuffix(root.Path, "/") + "/wp/v2/posts"
	root.RawQuery = "per_page=20"
	return root.String()
}

// wpPost is what Herald reads of a post of the WordPress REST API.
type wpPost struct {
	Link    string          `json:"link"`
	Title   json.RawMessage `json:"title"`
	Excerpt json.RawMessage `json:"excerpt"`
	DateGMT string          `json:"date_gmt"`
}

// parseWordPress reads the posts of a WordPress REST API answer.
func parseWordPress(body []byte, apiURL string) ([]feed.Article, error) {
	var posts []wpPost
	if err := json.Unmarshal(body, &posts); err != nil {
		return nil, fmt.Errorf("reading wordpress posts: %w", err)
	}
	bu := feed.ParseHTTPURL(apiURL)
	var arts []feed.Article
	for _, p := range posts {
		var title, excerpt any
		_ = json.Unmarshal(p.Title, &title)     // a title of another shape is no title
		_ = json.Unmarshal(p.Excerpt, &excerpt) // likewise
		a := feed.Article{Title: textOf(title), URL: jsonURL(bu, p.Link), Content: excerptHTML(excerpt)}
		if p.DateGMT != "" {
			if t, err := time.Parse("2006-01-02T15:04:05", p.DateGMT); err == nil {
				a.Published = t
			}
		}
		if a.Title != "" && a.URL != "" {
			arts = append(arts, a)
		}
	}
	return dedupe(arts), nil
}

func excerptHTML(v any) string {
	if m, ok := v.(map[string]any); ok {
		return str(m["rendered"])
	}
	return str(v)
}
