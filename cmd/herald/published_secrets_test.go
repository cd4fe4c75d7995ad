package main

import (
	"bytes"
	"compress/gzip"
	"database/sql"
	"fmt"
	"html"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldfeed/herald/internal/store/sqlite"
)

// The secrets of TestNoSecretsPublished, each as the environment gives it.
var publishedSecrets = map[string]string{
	"FEEDUSER":  "feeduser",
	"FEEDPASS":  "S3CRETPASS",
	"FEEDTOKEN": "TOKSECRET123",
	"PATHTOKEN": "PATHSECRET77",
	"SHORTTOK":  "zq7x", // in a query value: found as that whole part
}

// credentialedUpstream serves two private feeds that insist on their
// credentials, whose items link relatively (to pages, fragments, other
// queries), hold relative URLs in their content, and echo the
// subscriber's credentials in absolute links, a guid and text, as some
// private feeds do.
func credentialedUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	var up *httptest.Server
	items := func(self string) string {
		host := strings.TrimPrefix(up.URL, "http://")
		return fmt.Sprintf(`<rss version="2.0"><channel><title>Private</title><link>%[2]s</link>
<item><title>Relative page</title><link>item4.html</link><guid isPermaLink="false">r1</guid>
  <description><![CDATA[<p>Look <img src="x.png" srcset="x.png 1x, x2.png 2x"> and <a href="#c">below</a>, <a href="?page=2">next</a>, <a href="/abs">root</a>.</p>]]></description>
  <enclosure url="ep.mp3" length="10" type="audio/mpeg"/></item>
<item><title>Fragment</title><link>#frag</link><guid isPermaLink="false">r2</guid><description>f</description></item>
<item><title>Query</title><link>?page=2</link><guid isPermaLink="false">r3</guid><description>q</description></item>
<item><title>Echo</title><link>http://feeduser:S3CRETPASS@%[1]s/story?token=TOKSECRET123&amp;feed_token=zq7x&amp;id=5</link>
  <guid>http://%[1]s/story?token=TOKSECRET123</guid>
  <description><![CDATA[<p>Your private token is TOKSECRET123; <a href="http://%[1]s/feeds/PATHSECRET77/more">more</a> <img src="http://feeduser:S3CRETPASS@%[1]s/pic.png"></p>]]></description></item>
</channel></rss>`, host, self)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/evil.rss", func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "feeduser" || p != "S3CRETPASS" || r.URL.Query().Get("token") != "TOKSECRET123" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		body := items("index.html")
		if r.URL.Query().Get("ft") != "" { // the full-text source's copy: other IDs and links
			body = strings.NewReplacer(`false">r`, `false">f`, "id=5", "id=6", "<guid>", "<guid>ft", "item4", "item5", "#frag", "#frag2", "page=2", "page=3").Replace(body)
		}
		io.WriteString(w, body)
	})
	mux.HandleFunc("/feeds/PATHSECRET77/rss", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("feed_token") != "zq7x" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, strings.ReplaceAll(items("."), "<guid isPermaLink=\"false\">r", "<guid isPermaLink=\"false\">p"))
	})
	// Article pages for full text; the echoed link's page too.
	page := func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<html><body><article><h1>Page</h1><p>%s</p><p>A long enough paragraph of text for readability to keep, with some words in it, and more words after them, so that it counts as content.</p><p><a href="next.html">next</a></p></article></body></html>`, strings.Repeat("Body text. ", 30))
	}
	mux.HandleFunc("/item5.html", page)
	mux.HandleFunc("/story", page)
	up = httptest.NewServer(mux)
	t.Cleanup(up.Close)
	return up
}

// secretForms are the spellings a secret can take in a published file.
func secretForms(s string) []string {
	return []string{s, url.QueryEscape(s), url.PathEscape(s), html.EscapeString(s)}
}

// TestNoSecretsPublished is the credential leak of a source whose URL
// carries credentials: nothing `generate` writes or `serve` answers, and
// no row of the database, may hold any of them, while relative links
// still resolve to working public URLs.
func TestNoSecretsPublished(t *testing.T) {
	for k, v := range publishedSecrets {
		t.Setenv(k, v)
	}
	up := credentialedUpstream(t)
	host := strings.TrimPrefix(up.URL, "http://")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	writeFile(t, cfg, fmt.Sprintf(`title: Secrets
base_url: http://news.example/
schedule: "@every 1h"
sources:
  - {name: private, type: feed, url: "http://${FEEDUSER}:${FEEDPASS}@%[1]s/evil.rss?token=${FEEDTOKEN}"}
  - {name: fulltext, type: feed, full_text: true, url: "http://${FEEDUSER}:${FEEDPASS}@%[1]s/evil.rss?token=${FEEDTOKEN}&ft=1"}
  - {name: pathtoken, type: feed, url: "http://%[1]s/feeds/${PATHTOKEN}/rss?feed_token=${SHORTTOK}"}
  - {name: failing, type: feed, url: "http://${FEEDUSER}:${FEEDPASS}@%[1]s/feeds/${PATHTOKEN}/gone?feed_token=${SHORTTOK}"}
feeds:
  - {name: world, title: World, limit: 3, sources: [private, fulltext, pathtoken, failing]}
`, host))

	out := filepath.Join(dir, "public")
	code, stdout, stderr := runCmd(t, "generate", "--config", cfg, "--out", out)
	if code != exitPartial || !strings.Contains(stderr, "failing") {
		t.Fatalf("generate exit %d, want %d with the failing source named\n%s%s", code, exitPartial, stdout, stderr)
	}

	published := map[string][]byte{}
	err := filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(out, path)
		published[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(published) < 8 {
		t.Fatalf("generate wrote only %d files", len(published))
	}
	for path, b := range published {
		assertNoPublishedSecret(t, "generate: "+path, string(b))
	}
	var feedJSON string
	for path, b := range published {
		if strings.HasSuffix(path, ".json") {
			feedJSON += string(b)
		}
	}
	// Relative links resolve against the feed's URL without its
	// credentials; those under the secret path are left out.
	for _, want := range []string{
		up.URL + "/item4.html", up.URL + "/evil.rss#frag", up.URL + "/evil.rss?page=2",
		up.URL + "/x.png", up.URL + "/x2.png 2x", up.URL + "/item4.html#c", up.URL + "/abs", up.URL + "/ep.mp3",
		up.URL + "/story?id=5", up.URL + "/pic.png", "Your private token is ***", "Body text. Body text.",
	} {
		if !strings.Contains(feedJSON, strings.ReplaceAll(want, "/", `\/`)) && !strings.Contains(feedJSON, want) {
			t.Errorf("world.json lacks %q", want)
		}
	}
	if strings.Contains(feedJSON, "/feeds/") {
		t.Errorf("a link under the secret path was published:\n%s", feedJSON)
	}

	// Every row of every table of the database.
	db, err := sql.Open("sqlite", filepath.Join(dir, "data", sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows := dumpDatabase(t, db)
	if !strings.Contains(rows, "Relative page") || !strings.Contains(rows, "404") {
		t.Fatalf("the database dump holds no article:\n%.2000s", rows)
	}
	assertNoPublishedSecret(t, "database", rows)
	if st, err := os.Stat(filepath.Join(dir, "data", sqlite.FileName)); err != nil || st.Mode().Perm()&0o077 != 0 {
		t.Errorf("database file mode: %v %v, want private", st.Mode(), err)
	}

	// serve publishes from the same store: every path generate wrote.
	base, stop, logs := startServe(t, cfg)
	for path := range published {
		if strings.HasPrefix(path, ".herald") {
			continue
		}
		resp, body := get(t, base+"/"+path)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("serve %s: %d", path, resp.StatusCode)
		}
		assertNoPublishedSecret(t, "serve: "+path, body)
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exited %d", code)
	}
	assertNoPublishedSecret(t, "serve logs", logs.String())
	assertNoPublishedSecret(t, "generate output", stdout+stderr)
}

func assertNoPublishedSecret(t *testing.T, where, text string) {
	t.Helper()
	for _, s := range publishedSecrets {
		for _, form := range secretForms(s) {
			if strings.Contains(text, form) {
				i := strings.Index(text, form)
				t.Errorf("%s holds the secret %q: …%s…", where, s, text[max(0, i-80):min(len(text), i+80)])
			}
		}
	}
}

// dumpDatabase returns every value of every row of every table, gzip
// bodies decompressed, as text.
func dumpDatabase(t *testing.T, db *sql.DB) string {
	t.Helper()
	var tables []string
	rs, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var n string
		if err := rs.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rs.Close()
	var b strings.Builder
	for _, table := range tables {
		rs, err := db.Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rs.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rs.Next() {
			if err := rs.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				switch x := v.(type) {
				case []byte:
					if zr, err := gzip.NewReader(bytes.NewReader(x)); err == nil {
						if d, err := io.ReadAll(zr); err == nil {
							x = d
						}
					}
					b.Write(x)
				default:
					fmt.Fprint(&b, x)
				}
				b.WriteByte('\t')
			}
			b.WriteByte('\n')
		}
		rs.Close()
	}
	return b.String()
}
