package webpage

import (
	"context"
	"testing"

	"github.com/heraldfeed/herald/sources"
	"github.com/heraldfeed/herald/sources/sourcetest"
)

// A teaser that carries the site's share buttons and a "Continue reading"
// link: cleaned by default, kept as it is with clean: false (Raw).
func TestPageCleansItems(t *testing.T) {
	const page = `<html><body><ul><li class="post"><h2><a href="/a">A</a></h2>
<div class="teaser"><p>The mill reopens as a bakery. <a class="more-link" href="/a">Continue reading</a></p>
<div class="social-share"><a href="#">Facebook</a><a href="#">Twitter</a></div>
<img src="https://pixel.example/t.gif" width="1" height="1"></div></li></ul></body></html>`
	srv := sourcetest.NewServer(t, page)
	for _, tc := range []struct {
		name      string
		raw       bool
		keep, cut []string
	}{
		{"cleaned", false, []string{"The mill reopens as a bakery."}, []string{"Continue reading", "Facebook", "t.gif"}},
		{"raw", true, []string{"The mill reopens", "Continue reading", "Facebook", "t.gif"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := sourcetest.Fetcher(t, sources.FetchConfig{})
			p := upPage(t, f, Config{URL: srv.URL + "/", Item: "li.post", Title: "h2", Link: "h2 a", Summary: ".teaser", Raw: tc.raw})
			got, err := sourcetest.For(p).Collect(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("%d articles, want 1", len(got))
			}
			sourcetest.KeepsAndCuts(t, got[0].Content, tc.keep, tc.cut)
		})
	}
}
