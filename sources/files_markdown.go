package sources

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/heraldfeed/herald/feed"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	goldhtml "github.com/yuin/goldmark/renderer/html"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// filesMarkdown renders Markdown bodies: CommonMark plus the GFM tables,
// strikethrough and task lists, raw HTML kept because feed.Normalize
// sanitizes every article afterwards. GFM's linkify (bare URLs become
// links) is left out: it cost about a third of the Markdown parse, and
// <https://...> autolinks still work. A goldmark.Markdown is safe for
// concurrent use.
var filesMarkdown = goldmark.New(
	goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.TaskList),
	goldmark.WithRendererOptions(goldhtml.WithUnsafe()),
)

// ReadMarkdown parses a Markdown article with optional YAML front matter
// between "---" lines at the very start (closed by "---" or "...").
//
// Front matter keys, all optional, unknown keys ignored, names
// case-insensitive: title, date, updated (see filesParseDate for the
// formats; no zone means UTC), author (a name, or a map with name, email,
// url), tags (a list, or one comma-separated string), summary, url.
// Malformed front matter, or a date that does not parse, is an error.
//
// The title falls back to the first top-level heading, which is then
// removed from the content, and then to the first non-empty line, which is
// likewise removed. A heading that opens the body and repeats a front
// matter title is removed too. Trailers cut the first matching block, when
// body content precedes it, and everything after it.
//
// Encoding and line ends follow ReadText.
func ReadMarkdown(data []byte, trailers *Trailers) (feed.Article, error) {
	text := filesText(data)
	var a feed.Article
	fm, body, err := filesSplitFrontMatter(text)
	if err != nil {
		return feed.Article{}, err
	}
	if fm != "" {
		if err := filesFrontMatter(&a, fm); err != nil {
			return feed.Article{}, fmt.Errorf("front matter: %w", err)
		}
	}

	root, err := filesMarkdownTree(body)
	if err != nil {
		return feed.Article{}, err
	}
	if a.Title != "" {
		filesDropTitleHeading(root, a.Title)
	} else {
		a.Title = filesTakeHeading(root)
	}
	if a.Title == "" {
		// No heading: the first non-empty line is the title, rendered
		// alone so that Markdown markup ("**Note**") does not show.
		lines := strings.Split(body, "\n")
		for i, l := range lines {
			if strings.TrimSpace(l) == "" {
				continue
			}
			if t, err := filesMarkdownTree(l); err == nil {
				a.Title = filesCollapse(filesNodeText(t, -1))
			}
			if a.Title == "" {
				a.Title = filesCollapse(l)
			}
			if root, err = filesMarkdownTree(strings.Join(lines[i+1:], "\n")); err != nil {
				return feed.Article{}, err
			}
			break
		}
	}
	if a.Title == "" {
		return feed.Article{}, ErrUntitled
	}
	filesCutTrailer(root, trailers)
	a.Content = filesRenderChildren(root)
	return a, nil
}

// filesSplitFrontMatter splits text into its YAML front matter (without
// the delimiters) and the body. A document whose first line is "---" and
// that has no closing line is an error: it was meant as front matter.
func filesSplitFrontMatter(text string) (fm, body string, err error) {
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

// filesFrontMatter decodes YAML front matter into a.
func filesFrontMatter(a *feed.Article, fm string) error {
	if strings.TrimSpace(fm) == "" {
		return nil
	}
	var m map[string]any
	if err := yaml.Unmarshal([]byte(fm), &m); err != nil {
		return err
	}
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
			a.Title, err = filesScalar(v)
			a.Title = filesCollapse(a.Title)
		case "summary":
			a.Summary, err = filesScalar(v)
			a.Summary = strings.TrimSpace(a.Summary)
		case "url":
			a.URL, err = filesScalar(v)
			a.URL = strings.TrimSpace(a.URL)
		case "date":
			a.Published, err = filesYAMLDate(v)
		case "updated":
			a.Updated, err = filesYAMLDate(v)
		case "author":
			a.Author, err = filesYAMLAuthor(v)
		case "tags":
			a.Tags, err = filesYAMLTags(v)
		default:
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	return nil
}

// filesScalar returns a YAML scalar as a string; `title: 2024` is a title.
func filesScalar(v any) (string, error) {
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

// filesYAMLDate accepts a string in one of filesParseDate's formats or a
// timestamp the YAML decoder already parsed.
func filesYAMLDate(v any) (time.Time, error) {
	switch v := v.(type) {
	case time.Time:
		return v.UTC(), nil
	case string:
		return filesParseDate(v)
	}
	return time.Time{}, fmt.Errorf("want a date, got %T", v)
}

func filesYAMLAuthor(v any) (feed.Author, error) {
	switch v := v.(type) {
	case string:
		return feed.Author{Name: strings.TrimSpace(v)}, nil
	case map[string]any:
		var a feed.Author
		for k, f := range v {
			s, err := filesScalar(f)
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
			a, err := filesYAMLAuthor(e)
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

func filesYAMLTags(v any) ([]string, error) {
	switch v := v.(type) {
	case string:
		return filesAddTags(nil, strings.ReplaceAll(v, ",", "\n")), nil
	case []any:
		var tags []string
		for i, e := range v {
			s, err := filesScalar(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			tags = filesAddTags(tags, strings.ReplaceAll(s, "\n", " "))
		}
		return tags, nil
	}
	return nil, fmt.Errorf("want a list, got %T", v)
}

// filesDateLayouts are the date forms accepted in front matter and meta
// tags. Layouts without a zone are read as UTC.
var filesDateLayouts = []string{
	time.RFC3339, // fractional seconds are accepted too
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05 Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 -0700 MST",
	"2006-01-02 15:04Z07:00",
	"2006-01-02 15:04 Z07:00",
	"2006-01-02 15:04 -0700",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
	time.RFC1123Z,
	time.RFC1123,
}

// filesParseDate parses s in one of filesDateLayouts and returns it in UTC.
func filesParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("empty date")
	}
	// YAML timestamps may spell the T and Z in lower case.
	for _, v := range []string{s, strings.ToUpper(s)} {
		for _, l := range filesDateLayouts {
			if t, err := time.Parse(l, v); err == nil {
				return t.UTC(), nil
			}
		}
		if !strings.ContainsAny(s, "tz") {
			break
		}
	}
	return time.Time{}, fmt.Errorf("date %q: not RFC 3339, 2006-01-02 or 2006-01-02 15:04[:05]", s)
}

// filesMarkdownTree renders Markdown src and parses the HTML into the
// children of a detached <div>.
func filesMarkdownTree(src string) (*html.Node, error) {
	var buf bytes.Buffer
	if err := filesMarkdown.Convert([]byte(src), &buf); err != nil {
		return nil, fmt.Errorf("rendering markdown: %w", err)
	}
	root := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(&buf, &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body})
	if err != nil {
		return nil, fmt.Errorf("parsing rendered markdown: %w", err)
	}
	for _, n := range nodes {
		root.AppendChild(n)
	}
	return root, nil
}

// filesTakeHeading removes the first top-level heading with text under
// root and returns its text, or returns "" when there is none.
func filesTakeHeading(root *html.Node) string {
	for c := root.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode || !filesHeading(c.DataAtom) {
			continue
		}
		if t := filesCollapse(filesNodeText(c, -1)); t != "" {
			// Take the line break after it too, so no blank line is left.
			if n := c.NextSibling; n != nil && n.Type == html.TextNode && strings.TrimSpace(n.Data) == "" {
				root.RemoveChild(n)
			}
			root.RemoveChild(c)
			return t
		}
	}
	return ""
}
