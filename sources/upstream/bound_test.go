package upstream

import (
	"strings"
	"testing"
)

func TestXMLCapText(t *testing.T) {
	tests := []struct {
		name, in, want string
		limit, cut     int
	}{
		{"under the cap", "<a>0123456789</a>", "<a>0123456789</a>", 20, 0},
		{"text cut", "<a>0123456789</a><b>01</b>", "<a>01234</a><b>01</b>", 5, 1},
		{"not inside an entity", "<a>abc&amp;def</a>", "<a>abc</a>", 5, 1},
		{"after a whole entity", "<a>&amp;defgh</a>", "<a>&amp;d</a>", 6, 1},
		{"character boundary", "<a>ééé</a>", "<a>éé</a>", 5, 1},
		{"CDATA cut", "<a><![CDATA[<p>0123456789</p>]]></a>", "<a><![CDATA[<p>01]]></a>", 5, 1},
		{"attributes untouched", `<a href="0123456789>">x</a>`, `<a href="0123456789>">x</a>`, 5, 0},
		{"comments untouched", "<!--0123456789--><a>x</a>", "<!--0123456789--><a>x</a>", 5, 0},
		{"two cuts", "<a>0123456789</a><b>abcdefghij</b>", "<a>012</a><b>abc</b>", 3, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, cut := xmlCapText([]byte(tt.in), tt.limit)
			if string(got) != tt.want || cut != tt.cut {
				t.Errorf("xmlCapText(%q, %d) = %q, %d; want %q, %d", tt.in, tt.limit, got, cut, tt.want, tt.cut)
			}
		})
	}
}

func TestXMLCapTextKeepsLargeFeedsReadable(t *testing.T) {
	body := []byte(largeItemFeed(2 << 20))
	capped, cut := xmlCapText(body, maxItemContent)
	if cut != 1 || len(capped) > maxItemContent+4096 {
		t.Fatalf("cut %d runs, %d bytes left", cut, len(capped))
	}
	items, err := gofeedItems(capped)
	if err != nil || len(items) != 1 || items[0].Title != "Big" || !strings.HasPrefix(items[0].Description, "<p>Some words") {
		t.Errorf("capped feed reads as %d items, %v", len(items), err)
	}
}
