package local

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	goldhtml "github.com/yuin/goldmark/renderer/html"

	"github.com/heraldfeed/herald/feed"
	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/extract"
)

// markdownParser renders Markdown bodies: CommonMark plus the GFM tables,
// strikethrough and task lists, raw HTML kept because feed.Normalize
// sanitizes every article afterwards. GFM's linkify (bare URLs become
// links) is left out: it cost about a third of the Markdown parse, and
// <https://...> autolinks still work. A goldmark.Markdown is safe for
// concurrent use.
var markdownParser = goldmark.New(
	goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.TaskList),
	goldmark.WithRendererOptions(goldhtml.WithUnsafe()),
	goldmark.WithParserOptions(guardParsers, guardInlineParsers),
)

var bufWriters = sync.Pool{New: func() any { return bufio.NewWriter(nil) }}

// dateError is a front matter date that was left out because it does not
// parse; the article that comes with it is complete otherwise.
type dateError struct {
	Key, Value string
	Err        error
}

func (e *dateError) Error() string {
	return fmt.Sprintf("front matter: ignoring %s %q: %v", e.Key, e.Value, e.Err)
}

func (e *dateError) Unwrap() error { return e.Err }

// ReadMarkdown parses a Markdown article with optional YAML front matter
// between "---" lines at the very start (closed by "---" or "...").
//
// Front matter keys, all optional, unknown keys ignored, names
// case-insensitive: title, date, updated (see parseDate for the
// formats; no zone means UTC), author (a name, or a map with name, email,
// url), tags (a list, or one comma-separated string), summary, url.
// Malformed front matter is an error. A date that does not parse is left
// out: the article comes back with a *dateError naming the key and value,
// a warning rather than a failure.
//
// The title falls back to the first top-level heading, which is then
// removed from the content, and then to the first non-empty line, which is
// likewise removed. A heading that opens the body and repeats a front
// matter title is removed too. Trailers cut the first matching block, when
// body content precedes it, and everything after it.
//
// Encoding and line ends follow readText.
//
// layouts are Go time layouts tried first for front matter dates (a files
// source's date_format). It stops when ctx is done (returning its error)
// or after maxParseTime or past maxMarkdownDepth (returning an ErrBound):
// the parse itself stops, within milliseconds.
func ReadMarkdown(ctx context.Context, data []byte, trailers *extract.Trailers, layouts []string) (a feed.Article, err error) {
	g := newGuard(ctx)
	defer g.release()
	defer func() {
		if r := recover(); r != nil {
			ab, ok := r.(abort)
			if !ok {
				panic(r)
			}
			a, err = feed.Article{}, fmt.Errorf("markdown: %w", ab.err)
		}
	}()
	a, err = readMarkdown(data, trailers, layouts, g)
	if gerr := g.err(); gerr != nil && err == nil {
		// Stopped after the last check: the result is dropped all
		// the same, so a bound does not depend on where it struck.
		return feed.Article{}, fmt.Errorf("markdown: %w", gerr)
	}
	return a, err
}

func readMarkdown(data []byte, trailers *extract.Trailers, layouts []string, g *guard) (feed.Article, error) {
	var a feed.Article
	fm, body, err := splitFrontMatter(decodeLines(data))
	if err != nil {
		return feed.Article{}, err
	}
	var dateErr *dateError
	if fm != "" {
		if dateErr, err = frontMatter(&a, fm, layouts); err != nil {
			return feed.Article{}, fmt.Errorf("front matter: %w", err)
		}
	}

	src := []byte(body)
	doc := parseMarkdown(src, g)
	if a.Title != "" {
		// A heading that opens the body and repeats the title goes.
		if h, ok := doc.FirstChild().(*ast.Heading); ok && strings.EqualFold(feed.CollapseSpace(mdText(h, src, -1)), a.Title) {
			doc.RemoveChild(doc, h)
		}
	} else {
		a.Title = takeHeading(doc, src)
	}
	if a.Title == "" {
		a.Title, src, doc = firstLineTitle(body, g)
	}
	if a.Title == "" {
		return feed.Article{}, ErrUntitled
	}
	cutTrailerMD(doc, src, trailers)
	g.check()
	content, err := renderMarkdown(src, doc)
	if err != nil {
		return feed.Article{}, err
	}
	a.Content = content
	if dateErr != nil {
		return a, dateErr
	}
	return a, nil
}

// firstLineTitle makes the first non-empty line of body the title,
// parsed alone so that Markdown markup ("**Note**") does not show, and
// returns the rest parsed as the body.
func firstLineTitle(body string, g *guard) (title string, src []byte, doc ast.Node) {
	lines := strings.Split(body, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		line := []byte(l)
		title = feed.CollapseSpace(mdText(parseMarkdown(line, g), line, -1))
		if title == "" {
			title = feed.CollapseSpace(l)
		}
		src = []byte(strings.Join(lines[i+1:], "\n"))
		return title, src, parseMarkdown(src, g)
	}
	src = []byte(body)
	return "", src, parseMarkdown(src, g)
}

// renderMarkdown renders doc, parsed from src, as trimmed HTML.
func renderMarkdown(src []byte, doc ast.Node) (string, error) {
	var buf bytes.Buffer
	// goldmark wraps any writer that is not buffered in a new 4 KiB
	// bufio.Writer; reusing them saves that allocation per article.
	bw := bufWriters.Get().(*bufio.Writer)
	bw.Reset(&buf)
	err := markdownParser.Renderer().Render(bw, src, doc)
	if err == nil {
		err = bw.Flush()
	}
	bw.Reset(nil)
	bufWriters.Put(bw)
	if err != nil {
		return "", fmt.Errorf("rendering markdown: %w", err)
	}
	return strings.TrimSpace(buf.String()), nil
}

// splitFrontMatter splits text into its YAML front matter (without
// the delimiters) and the body. A document whose first line is "---" and
// that has no closing line is an error: it was meant as front matter.
func splitFrontMatter(text string) (fm, body string, err error) {
	first, rest, _ := strings.Cut(text, "\n")
	if strings.TrimRight(first, " \t") != "---" {
		return "", text, nil
	}
	var b strings.Builder
	for rest != "" {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		if l := strings.TrimRight(line, " \t"); l == "---" || l == "..." {
			// Keep a non-empty marker so an empty front matter still
			// counts as present but decodes to nothing.
			return b.String() + "\n", rest, nil
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return "", "", errors.New("front matter: no closing \"---\" line")
}

// frontMatter decodes YAML front matter into a. A date that does not
// parse is left zero and reported as the *dateError (the first, in key
// order), not as an error.
func frontMatter(a *feed.Article, fm string, layouts []string) (*dateError, error) {
	if strings.TrimSpace(fm) == "" {
		return nil, nil
	}
	var m map[string]any
	if err := yaml.Unmarshal([]byte(fm), &m); err != nil {
		return nil, err
	}
	var dateErr *dateError
	// Visit keys in a fixed order so that the error reported for a file
	// with several bad keys is the same on every run.
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := m[k]
		if v == nil {
			continue
		}
		var err error
		switch strings.ToLower(k) {
		case "title":
			a.Title, err = yamlScalar(v)
			a.Title = feed.CollapseSpace(a.Title)
		case "summary":
			a.Summary, err = yamlScalar(v)
			a.Summary = strings.TrimSpace(a.Summary)
		case "url":
			a.URL, err = yamlScalar(v)
			a.URL = strings.TrimSpace(a.URL)
		case "date", "updated":
			t, derr := yamlDate(v, layouts)
			if derr != nil {
				if dateErr == nil {
					dateErr = &dateError{Key: k, Value: fmt.Sprint(v), Err: derr}
				}
				continue
			}
			if strings.EqualFold(k, "date") {
				a.Published = t
			} else {
				a.Updated = t
			}
		case "author":
			a.Author, err = yamlAuthor(v)
		case "tags":
			a.Tags, err = yamlTags(v)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
	}
	return dateErr, nil
}

// yamlScalar returns a YAML scalar as a string; `title: 2024` is a title.
func yamlScalar(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case bool, int, int64, uint64, float64, uint, int32, uint32, float32:
		return fmt.Sprint(v), nil
	case time.Time:
		return v.Format(time.RFC3339), nil
	}
	return "", fmt.Errorf("want a single value, got %T", v)
}

// yamlDate accepts a string in one of parseDate's formats or a
// timestamp the YAML decoder already parsed.
func yamlDate(v any, layouts []string) (time.Time, error) {
	switch v := v.(type) {
	case time.Time:
		return v.UTC(), nil
	case string:
		return parseDate(v, layouts...)
	}
	return time.Time{}, fmt.Errorf("want a date, got %T", v)
}

func yamlAuthor(v any) (feed.Author, error) {
	switch v := v.(type) {
	case string:
		return feed.Author{Name: strings.TrimSpace(v)}, nil
	case map[string]any:
		var a feed.Author
		for k, f := range v {
			s, err := yamlScalar(f)
			if err != nil && f != nil {
				return feed.Author{}, fmt.Errorf("%s: %w", k, err)
			}
			switch strings.ToLower(k) {
			case "name":
				a.Name = strings.TrimSpace(s)
			case "email":
				a.Email = strings.TrimSpace(s)
			case "url":
				a.URL = strings.TrimSpace(s)
			}
		}
		return a, nil
	case []any:
		// Several authors: feed.Article credits one, so name them all.
		var names []string
		for _, e := range v {
			a, err := yamlAuthor(e)
			if err != nil {
				return feed.Author{}, err
			}
			if a.Name != "" {
				names = append(names, a.Name)
			}
		}
		return feed.Author{Name: strings.Join(names, ", ")}, nil
	}
	return feed.Author{}, fmt.Errorf("want a name or a map, got %T", v)
}

func yamlTags(v any) ([]string, error) {
	switch v := v.(type) {
	case string:
		return extract.AppendTags(nil, strings.ReplaceAll(v, ",", "\n")), nil
	case []any:
		var tags []string
		for i, e := range v {
			s, err := yamlScalar(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			tags = extract.AppendTags(tags, strings.ReplaceAll(s, "\n", " "))
		}
		return tags, nil
	}
	return nil, fmt.Errorf("want a list, got %T", v)
}

// parseDate parses a front matter or meta tag date with ParseDate,
// the one date parser of this package; a date without a zone is UTC.
func parseDate(s string, layouts ...string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("empty date")
	}
	t, err := sources.ParseDate(s, time.UTC, layouts...)
	if err != nil && strings.ContainsAny(s, "tz") {
		// YAML timestamps may spell the T and Z in lower case.
		t, err = sources.ParseDate(strings.ToUpper(s), time.UTC)
	}
	if err != nil {
		return time.Time{}, errors.New("not a date Herald can read (RFC 3339, 2006-01-02, 2006-01-02 15:04[:05], RFC 1123…; date_format adds layouts)")
	}
	return t.UTC(), nil
}

// takeHeading removes the first top-level heading with text from
// doc and returns its text, or returns "" when there is none.
func takeHeading(doc ast.Node, src []byte) string {
	for c := doc.FirstChild(); c != nil; c = c.NextSibling() {
		if h, ok := c.(*ast.Heading); ok {
			if t := feed.CollapseSpace(mdText(h, src, -1)); t != "" {
				doc.RemoveChild(doc, h)
				return t
			}
		}
	}
	return ""
}

// mdText returns the text under n; with limit >= 0 it stops soon
// after limit bytes, like nodeText. Raw inline HTML is left out
// (it is markup); a raw HTML block contributes the text between its tags.
func mdText(n ast.Node, src []byte, limit int) string {
	var b strings.Builder
	visits := 0
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		mdAppend(&b, c, src, limit, &visits)
	}
	return b.String()
}

// mdOwnText returns the text of block n, bounded as for trailers.
func mdOwnText(n ast.Node, src []byte) string {
	var b strings.Builder
	visits := 0
	mdAppend(&b, n, src, 256, &visits)
	return b.String()
}

// mdAppend appends the text of n itself to b. With limit >= 0 it
// stops after limit bytes or limit nodes, counted in *visits.
func mdAppend(b *strings.Builder, n ast.Node, src []byte, limit int, visits *int) {
	if *visits++; limit >= 0 && (b.Len() > limit || *visits > limit) {
		return
	}
	switch n := n.(type) {
	case *ast.Text:
		b.Write(n.Value(src))
		if n.SoftLineBreak() || n.HardLineBreak() {
			b.WriteByte(' ')
		}
	case *ast.String:
		b.Write(n.Value)
	case *ast.AutoLink:
		b.Write(n.Label(src))
	case *ast.RawHTML:
	case *ast.HTMLBlock:
		b.WriteByte(' ')
		b.WriteString(feed.HTMLText(string(mdLines(n, src)), -1))
	case *ast.CodeBlock, *ast.FencedCodeBlock:
		b.WriteByte(' ')
		b.Write(mdLines(n, src))
	default:
		if n.Type() == ast.TypeBlock {
			b.WriteByte(' ')
		}
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			mdAppend(b, c, src, limit, visits)
		}
	}
}

// mdLines returns the source lines of a block.
func mdLines(n ast.Node, src []byte) []byte {
	var out []byte
	lines := n.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		out = append(out, seg.Value(src)...)
	}
	if h, ok := n.(*ast.HTMLBlock); ok && h.HasClosure() {
		out = append(out, h.ClosureLine.Value(src)...)
	}
	return out
}

// mdBlock reports whether n is a Markdown block whose whole text is
// matched as a trailer; the lines of a paragraph are matched one by one too.
func mdBlock(n ast.Node) bool {
	switch n.(type) {
	case *ast.Paragraph, *ast.TextBlock, *ast.Heading, *ast.List, *ast.ListItem,
		*ast.Blockquote, *ast.HTMLBlock, *ast.ThematicBreak:
		return true
	}
	return false
}

// cutTrailerMD is cutTrailerHTML on a Markdown tree: it removes the
// first trailer block, or trailer line of a paragraph, that has body
// content before it, and everything after it in document order; blocks
// left empty by the cut go too.
func cutTrailerMD(doc ast.Node, src []byte, t *extract.Trailers) {
	if t == nil {
		return
	}
	f := trailerFinder{src: src, t: t}
	if f.walk(doc) {
		cutFromMD(doc, f.cut)
	}
}

// trailerFinder walks a Markdown tree in document order for the first
// trailer that has body content before it.
type trailerFinder struct {
	src       []byte
	t         *extract.Trailers
	seen      bool     // body content came before
	cut       ast.Node // the first node to remove, once found
	lineStart ast.Node // with the cut inside a paragraph: where the line starts
}

// walk looks through n's children and reports whether it found the cut.
func (f *trailerFinder) walk(n ast.Node) bool {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if c.Type() != ast.TypeBlock {
			f.seen = true // an inline outside a paragraph: a table cell
			continue
		}
		if mdBlock(c) && f.seen && f.t.Match(mdOwnText(c, f.src)) {
			f.cut = c
			return true
		}
		if _, ok := c.(*ast.Paragraph); ok || c.Kind() == ast.KindTextBlock {
			if cutLineMD(c, f.src, f.t, &f.seen, &f.lineStart) {
				f.cut = f.lineStart
				return true
			}
			continue
		}
		switch c.(type) {
		case *ast.CodeBlock, *ast.FencedCodeBlock, *ast.HTMLBlock, *ast.ThematicBreak:
			f.seen = f.seen || c.Kind() != ast.KindThematicBreak
			continue
		}
		if f.walk(c) {
			return true
		}
	}
	return false
}

// cutFromMD removes cut and everything after it in document order, then
// the blocks the cut left empty.
func cutFromMD(doc, cut ast.Node) {
	for m := cut; m != doc && m != nil; m = m.Parent() {
		p := m.Parent()
		for m.NextSibling() != nil {
			p.RemoveChild(p, m.NextSibling())
		}
	}
	p := cut.Parent()
	p.RemoveChild(p, cut)
	for p != doc && p.FirstChild() == nil {
		q := p.Parent()
		q.RemoveChild(q, p)
		p = q
	}
	// A paragraph cut after a soft break would end in a stray line break.
	if last, ok := p.LastChild().(*ast.Text); ok && p.Kind() != ast.KindDocument {
		last.SetSoftLineBreak(false)
		last.SetHardLineBreak(false)
	}
}

// cutLineMD looks for a trailer line, a run of inlines ended by a
// line break, in paragraph p; on a match it sets *start to the line's
// first inline.
func cutLineMD(p ast.Node, src []byte, t *extract.Trailers, seen *bool, start *ast.Node) bool {
	first := p.FirstChild()
	var line strings.Builder
	media, visits := false, 0
	end := func() bool {
		text := strings.TrimSpace(line.String())
		if *seen && text != "" && t.Match(text) {
			*start = first
			return true
		}
		*seen = *seen || text != "" || media
		return false
	}
	for c := p.FirstChild(); c != nil; c = c.NextSibling() {
		mdAppend(&line, c, src, 256, &visits)
		if c.Kind() == ast.KindImage {
			media = true
		}
		if txt, ok := c.(*ast.Text); ok && (txt.SoftLineBreak() || txt.HardLineBreak()) {
			if end() {
				return true
			}
			line.Reset()
			first, media, visits = c.NextSibling(), false, 0
		}
	}
	return first != nil && end()
}
