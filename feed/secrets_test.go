package feed

import (
	"strings"
	"testing"
	"time"
)

// fakeSecrets knows one secret: URLs holding it are refused, text shows
// it as ***.
type fakeSecrets struct{}

const secret = "SEKRET1234"

func (fakeSecrets) PublicURL(u string) string {
	if strings.Contains(u, secret) {
		return ""
	}
	return u
}
func (fakeSecrets) PublicText(s string) string { return strings.ReplaceAll(s, secret, Redacted) }
func (fakeSecrets) MayHold(s string) bool      { return strings.Contains(s, secret) }

func TestNormalizeScrubsSecrets(t *testing.T) {
	in := Article{
		ID:      "https://e.example/p?t=" + secret,
		URL:     "https://e.example/p?t=" + secret,
		Title:   "About " + secret,
		Summary: "s " + secret,
		Content: `<p>Key ` + secret + ` <a href="https://e.example/x/` + secret + `">link</a> <a href="/ok">ok</a>` +
			` <img src="https://e.example/i.png" srcset="https://e.example/` + secret + `.png 2x, https://e.example/b.png 1x"></p>`,
		Author:     Author{Name: "n", URL: "https://e.example/u/" + secret},
		Enclosures: []Enclosure{{URL: "https://e.example/e/" + secret + ".mp3"}, {URL: "https://e.example/ok.mp3"}},
		Tags:       []string{"t " + secret},
		Base:       "https://e.example/",
		Published:  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	got := Normalize([]Article{in}, Options{Secrets: fakeSecrets{}})[0]
	all := strings.Join([]string{got.ID, got.URL, got.Title, got.Summary, got.Content, got.Author.URL, got.Tags[0]}, "\n")
	for _, e := range got.Enclosures {
		all += "\n" + e.URL
	}
	if strings.Contains(all, secret) {
		t.Fatalf("a secret survived:\n%s", all)
	}
	if want := "urn:uuid:" + NameUUID("https://e.example/p?t="+secret); got.ID != want {
		t.Errorf("ID = %q, want the UUID of the original %q", got.ID, want)
	}
	if got.URL != "" || got.Author.URL != "" || len(got.Enclosures) != 1 {
		t.Errorf("URL %q, author URL %q, enclosures %v: want the secret ones left out", got.URL, got.Author.URL, got.Enclosures)
	}
	for _, want := range []string{"Key ***", `<a>link</a>`, `href="https://e.example/ok"`, `srcset="https://e.example/b.png 1x"`, `src="https://e.example/i.png"`} {
		if !strings.Contains(got.Content, want) {
			t.Errorf("content lacks %q:\n%s", want, got.Content)
		}
	}
	if got.Title != "About ***" {
		t.Errorf("title = %q", got.Title)
	}
	// Without secrets in it, content comes out byte for byte as without
	// Secrets.
	plain := Article{ID: "a", Title: "T", Content: `<p>It's &amp; <a href="https://e.example/x">x</a></p>`}
	if a, b := Normalize([]Article{plain}, Options{Secrets: fakeSecrets{}})[0], Normalize([]Article{plain}, Options{})[0]; a.Content != b.Content {
		t.Errorf("content changed without a secret: %q vs %q", a.Content, b.Content)
	}
}
