package upstream

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/sourcetest"
)

func TestFeedCharsets(t *testing.T) {
	// "Café “quoted”" in Windows-1252: é is 0xE9, the curly quotes 0x93/0x94.
	const cp1252 = "Caf\xe9 \x93quoted\x94"
	rss := func(encoding, title string) string {
		prolog := `<?xml version="1.0"?>`
		if encoding != "" {
			prolog = `<?xml version="1.0" encoding="` + encoding + `"?>`
		}
		return prolog + `<rss version="2.0"><channel><title>c</title><item><guid>1</guid><title>` +
			title + `</title></item></channel></rss>`
	}
	tests := []struct {
		name, contentType, body, want string
	}{
		{"ISO-8859-1 in the prolog", "application/rss+xml", rss("ISO-8859-1", "Caf\xe9"), "Café"},
		{"ISO-8859-1 in the header", "application/rss+xml; charset=iso-8859-1", rss("", "Caf\xe9"), "Café"},
		{"header wins over prolog", "text/xml; charset=windows-1252", rss("UTF-8", cp1252), "Café “quoted”"},
		{"declared UTF-8, bytes Windows-1252", "application/rss+xml; charset=utf-8", rss("UTF-8", cp1252), "Café “quoted”"},
		{"undeclared Windows-1252", "application/rss+xml", rss("", cp1252), "Café “quoted”"},
		{"declared ISO-8859-1, bytes UTF-8", "application/rss+xml; charset=ISO-8859-1", rss("ISO-8859-1", "Café"), "Café"},
		{"UTF-8 with BOM", "application/rss+xml", "\xef\xbb\xbf" + rss("UTF-8", "Café"), "Café"},
		{"unknown charset", "application/rss+xml; charset=x-klingon", rss("", "Café"), "Café"},
		{"Shift_JIS", "application/rss+xml", rss("Shift_JIS", "\x93\xfa\x96\x7b"), "日本"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			f, _ := sourcetest.Fetcher(t, sources.FetchConfig{})
			got, err := sourcetest.For(upFeed(t, f, "cs", srv.URL)).Collect(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("%d articles, want 1", len(got))
			}
			if got[0].Title != tt.want {
				t.Errorf("title = %q, want %q", got[0].Title, tt.want)
			}
			if strings.ContainsRune(got[0].Title, '\uFFFD') {
				t.Errorf("title %q has U+FFFD", got[0].Title)
			}
		})
	}
}
