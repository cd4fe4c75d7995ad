package feed

import (
	"html"
	"strings"
)

// TextHTML renders lines of plain text as HTML: <p> elements, one per
// run of non-blank lines, joined by <br>, the text escaped. It is how a
// .txt article and a JSON Feed content_text become content.
func TextHTML(lines []string) string {
	var b strings.Builder
	open := false
	for _, l := range lines {
		l = strings.TrimSpace(l)
		switch {
		case l == "" && open:
			b.WriteString("</p>\n")
			open = false
		case l == "":
		case open:
			b.WriteString("<br>\n")
			b.WriteString(html.EscapeString(l))
		default:
			b.WriteString("<p>")
			b.WriteString(html.EscapeString(l))
			open = true
		}
	}
	if open {
		b.WriteString("</p>\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}
