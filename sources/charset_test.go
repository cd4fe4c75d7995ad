package sources

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWebToUTF8HTML(t *testing.T) {
	tests := []struct {
		name, contentType, body, want string
	}{
		{"meta charset", "text/html", `<html><head><meta charset="iso-8859-1"></head><body>Caf` + "\xe9", `<html><head><meta charset="iso-8859-1"></head><body>Café`},
		{"http-equiv", "text/html", `<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">` + "\x93x\x94", `<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">“x”`},
		{"meta says utf-8, bytes are not", "text/html", `<meta charset="utf-8">Caf` + "\xe9", `<meta charset="utf-8">Café`},
		{"plain utf-8", "text/html; charset=utf-8", "<p>Café</p>", "<p>Café</p>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(ToUTF8([]byte(tt.body), tt.contentType, KindHTML))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestXMLRewriteProlog(t *testing.T) {
	in := []byte(`<?xml version="1.0" encoding='ISO-8859-1' standalone="yes"?><rss/>`)
	want := `<?xml version="1.0" encoding='UTF-8' standalone="yes"?><rss/>`
	if got := string(xmlRewriteProlog(in)); got != want {
		t.Errorf("xmlRewriteProlog = %s, want %s", got, want)
	}
}

func TestToUTF8Text(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"utf8", []byte("naïve"), "naïve"},
		{"utf8 bom", []byte("\xef\xbb\xbfx"), "x"},
		{"utf16be bom", []byte{0xfe, 0xff, 0, 'h', 0, 'i'}, "hi"},
		{"cp1252 quotes", []byte("\x93a\x94 \x85"), "“a” …"},
		{"cp1252 latin1 range", []byte("\xe9\xff"), "éÿ"},
		// Bytes Windows-1252 leaves undefined become C1 controls, not U+FFFD.
		{"cp1252 undefined", []byte("a\x81\x9d"), "a\u0081\u009d"},
		{"invalid mix", []byte("ok \xc3 then"), "ok Ã then"},
		{"utf16le bom", []byte{0xff, 0xfe, 'h', 0, 'i', 0}, "hi"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(ToUTF8(tc.in, "", KindText)); got != tc.want {
				t.Errorf("ToUTF8(%q, text) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestWindows1252Undefined: files and web pages agree on the five bytes
// Windows-1252 leaves undefined, declared or detected.
func TestWindows1252Undefined(t *testing.T) {
	const want = "<p>a\u0081\u008d\u009d</p>"
	in := []byte("<p>a\x81\x8d\x9d</p>")
	for _, tc := range []struct {
		name, contentType string
		kind              Kind
	}{
		{"text, detected", "", KindText},
		{"html, detected", "", KindHTML},
		{"html, declared in the header", "text/html; charset=windows-1252", KindHTML},
		{"html, declared iso-8859-1", "text/html; charset=iso-8859-1", KindHTML},
		{"xml, declared", "application/xml; charset=windows-1252", KindXML},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(ToUTF8(in, tc.contentType, tc.kind)); got != want {
				t.Errorf("ToUTF8 = %q, want %q", got, want)
			}
		})
	}
}
