package feed

import (
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// textAttrs hold words for readers, never a URL: a title or alt text
// reading "javascript:…" is harmless, and an id or a name may match
// [a-z:]+ legitimately. Every other attribute that survives sanitizing
// is checked as a possible URL.
var textAttrs = map[string]bool{"title": true, "alt": true, "id": true, "name": true, "class": true, "lang": true, "dir": true, "datetime": true, "sizes": true, "summary": true, "abbr": true}

// dangerous reports the first attribute value in out that a browser may
// execute or that embeds content (javascript:, vbscript:, data:), as a
// browser reads it: entity-decoded (by the tokenizer), without white
// space and control characters, case-folded, and also percent-decoded.
// srcset is checked candidate by candidate (every token, descriptors
// too). It returns "" when there is none.
func dangerous(out string) string {
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return ""
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		for _, at := range z.Token().Attr {
			if textAttrs[at.Key] {
				continue
			}
			vals := []string{at.Val}
			if at.Key == "srcset" {
				vals = strings.FieldsFunc(at.Val, func(r rune) bool { return r == ',' || r <= ' ' })
			}
			for _, v := range vals {
				forms := []string{v}
				if d, err := url.PathUnescape(v); err == nil {
					forms = append(forms, d)
				}
				for _, f := range forms {
					f = strings.ToLower(strings.Map(func(r rune) rune {
						if r <= ' ' || r == 0x7f {
							return -1
						}
						return r
					}, f))
					for _, s := range []string{"javascript:", "vbscript:", "data:"} {
						if strings.HasPrefix(f, s) {
							return at.Key + "=" + at.Val
						}
					}
				}
			}
		}
	}
}

// TestSanitizeURLs: no scheme but http, https and (for links) mailto
// survives in any URL attribute, however it is spelled; legitimate URLs
// do, made absolute.
func TestSanitizeURLs(t *testing.T) {
	base, _ := url.Parse("https://example.org/blog/post/")
	tests := []struct {
		name string
		in   string
		want []string // substrings of the output
	}{
		{name: "a href javascript", in: `<a href="javascript:alert(1)">x</a>`},
		{name: "mixed case", in: `<a href="JaVaScRiPt:alert(1)">x</a>`},
		{name: "leading space and controls", in: "<a href=\" \x01\x02javascript:alert(1)\">x</a>"},
		{name: "tab entity inside", in: `<a href="java&#x09;script:alert(1)">x</a>`},
		{name: "newline entity inside", in: `<img src="java&#10;script:alert(1)">`},
		{name: "decimal entity", in: `<a href="&#106;avascript:alert(1)">x</a>`},
		{name: "hex entity colon", in: `<a href="javascript&#x3A;alert(1)">x</a>`},
		{name: "named entity colon", in: `<a href="javascript&colon;alert(1)">x</a>`},
		{name: "percent-encoded scheme", in: `<a href="%6Aavascript:alert(1)">x</a>`},
		{name: "vbscript", in: `<a href="vbscript:msgbox(1)">x</a>`},
		{name: "data href", in: `<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`},
		{name: "file href", in: `<a href="file:///etc/passwd">x</a>`},
		{name: "img src data", in: `<img src="data:image/svg+xml,<svg onload=alert(1)>">`},
		{name: "source src javascript", in: `<picture><source src="javascript:alert(1)"><img src="a.png"></picture>`,
			want: []string{`<source>`, `src="https://example.org/blog/post/a.png"`}},
		{name: "source src obfuscated", in: `<picture><source src="  JAVA&#x09;SCRIPT:alert(1)" type="image/png"></picture>`, want: []string{`<source type="image/png">`}},
		{name: "source srcset data", in: `<picture><source srcset="data:image/png;base64,AAAA 1x, b.png 2x"></picture>`,
			want: []string{`srcset="https://example.org/blog/post/b.png 2x"`}},
		{name: "img srcset javascript only", in: `<img srcset="javascript:alert(1) 1x" src="a.png">`, want: []string{`<img src="https://example.org/blog/post/a.png">`}},
		{name: "srcset entity-obfuscated candidate", in: `<img srcset="/a.png 1x, &#106;avascript:alert(1) 2x, vbscript:x 3x">`,
			want: []string{`srcset="https://example.org/a.png 1x"`}},
		{name: "srcset bad descriptor", in: `<img srcset="/a.png javascript:1, /b.png 2x">`, want: []string{`srcset="https://example.org/b.png 2x"`}},
		{name: "srcset widths and comma URL", in: `<img srcset="/a,b.png 480w,/c.png 800w">`,
			want: []string{`srcset="https://example.org/a,b.png 480w, https://example.org/c.png 800w"`}},
		{name: "video poster and src", in: `<video poster="javascript:alert(1)" src="javascript:alert(2)"><track src="javascript:3"></video>`},
		{name: "audio src", in: `<audio src="vbscript:1"></audio>`},
		{name: "object and embed", in: `<object data="javascript:alert(1)"></object><embed src="data:text/html,x">`},
		{name: "blockquote cite", in: `<blockquote cite="javascript:alert(1)">q</blockquote>`, want: []string{`<blockquote>q</blockquote>`}},
		{name: "img longdesc", in: `<img src="/a.png" longdesc="javascript:alert(1)">`, want: []string{`src="https://example.org/a.png"`}},
		{name: "legitimate links", in: `<a href="http://e.org/x">a</a><a href="https://e.org/y">b</a><a href="mailto:me@e.org">c</a><q cite="https://e.org/src">q</q>`,
			want: []string{`href="http://e.org/x"`, `href="https://e.org/y"`, `href="mailto:me@e.org"`, `cite="https://e.org/src"`}},
		{name: "legitimate relative", in: `<a href="../other">o</a><img src="img/a.png" srcset="a.png 1x, /b.png 2x">`,
			want: []string{`href="https://example.org/blog/other"`, `src="https://example.org/blog/post/img/a.png"`, `srcset="https://example.org/blog/post/a.png 1x, https://example.org/b.png 2x"`}},
		{name: "mailto image refused", in: `<img src="mailto:me@e.org">`, want: []string{`<img>`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, b := range []*url.URL{base, nil} {
				out := sanitizeHTML(tt.in, b)
				if d := dangerous(out); d != "" {
					t.Errorf("base %v: %s survives in %s", b, d, out)
				}
				if low := strings.ToLower(out); strings.Contains(low, "script:") || strings.Contains(low, "data:") {
					t.Errorf("base %v: a scheme survives in %s", b, out)
				}
				if b == nil {
					continue
				}
				for _, w := range tt.want {
					if !strings.Contains(out, w) {
						t.Errorf("output lacks %s: %s", w, out)
					}
				}
			}
		})
	}
}

// TestDangerous: the fuzz target's oracle flags what it must.
func TestDangerous(t *testing.T) {
	for _, out := range []string{`<a href="javascript:1">`, `<a href=" JAVA&#9;SCRIPT:1">`, `<img srcset="a.png 1x, data:x 2x">`, `<a href="%6Aavascript:1">`, `<source src="vbscript:1">`} {
		if dangerous(out) == "" {
			t.Errorf("%s not flagged", out)
		}
	}
	for _, out := range []string{`<a href="https://e.org/javascript:1">`, `<img alt="javascript:1" srcset="a.png 1x">`} {
		if d := dangerous(out); d != "" {
			t.Errorf("%s flagged: %s", out, d)
		}
	}
}

// FuzzSanitize: whatever the input, no attribute of the output holds a
// javascript:, vbscript: or data: URL, however spelled.
func FuzzSanitize(f *testing.F) {
	for _, s := range []string{
		`<a href="java&#x09;script:alert(1)">x</a>`,
		`<picture><source src="javascript:1" srcset="data:image/png;base64,AA 1x, b.png 2x"></picture>`,
		`<img srcset=" &#106;avascript:1 1x,, /a.png 2x" src="%6Aavascript:1">`,
		`<video poster="vbscript:1"><track src=data:x></video><blockquote cite="JaVaScRiPt:1">q</blockquote>`,
		"<a href=\"\x01javascript:1\">x</a><img src=\"/a.png\" longdesc=\"data:x\">",
	} {
		f.Add(s, true)
	}
	base, _ := url.Parse("https://example.org/blog/")
	f.Fuzz(func(t *testing.T, in string, withBase bool) {
		b := base
		if !withBase {
			b = nil
		}
		out := sanitizeHTML(in, b)
		if d := dangerous(out); d != "" {
			t.Fatalf("%s survives in %q (input %q)", d, out, in)
		}
	})
}
