package sources

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestRedactorURL(t *testing.T) {
	r := NewRedactor(Secrets{Params: []string{"session"}})
	tests := []struct {
		name, in, want string
	}{
		{"plain", "https://example.org/feed.xml?page=2", "https://example.org/feed.xml?page=2"},
		{"user and password", "http://user:hunter2@example.org/feed.xml", "http://***@example.org/feed.xml"},
		{"user only", "http://user@example.org/", "http://***@example.org/"},
		{"token", "http://example.org/f?token=SECRET123", "http://example.org/f?token=***"},
		{"both", "http://user:hunter2@127.0.0.1:9/feed.xml?token=SECRET123&page=2",
			"http://***@127.0.0.1:9/feed.xml?token=***&page=2"},
		{"case-insensitive", "http://e.org/?API_KEY=x&Sig=y", "http://e.org/?API_KEY=***&Sig=***"},
		{"every default", "http://e.org/?token=1&key=2&api_key=3&apikey=4&access_token=5&auth=6&password=7&secret=8&sig=9&signature=10",
			"http://e.org/?token=***&key=***&api_key=***&apikey=***&access_token=***&auth=***&password=***&secret=***&sig=***&signature=***"},
		{"percent-encoded name", "http://e.org/?t%6Fken=x", "http://e.org/?t%6Fken=***"},
		{"configured extra", "http://e.org/?session=abc", "http://e.org/?session=***"},
		{"similar names kept", "http://e.org/?tokens=1&monkey=2", "http://e.org/?tokens=1&monkey=2"},
		{"fragment kept", "http://e.org/?token=x#top", "http://e.org/?token=***#top"},
		{"unparseable", "http://user:pw@a b/?token=x", "http://***@a b/?token=***"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.URL(tt.in); got != tt.want {
				t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactorText(t *testing.T) {
	var r *Redactor // nil uses the defaults
	tests := []struct {
		name, in, want string
	}{
		{"go url error",
			`source secret: http://user:hunter2@127.0.0.1:9/feed.xml?token=SECRET123: requesting: Get "http://user:***@127.0.0.1:9/feed.xml?token=SECRET123": dial tcp: refused`,
			`source secret: http://***@127.0.0.1:9/feed.xml?token=***: requesting: Get "http://***@127.0.0.1:9/feed.xml?token=***": dial tcp: refused`},
		{"two urls", "a https://u:p@x/?key=1 b https://y/?sig=2&z=3",
			"a https://***@x/?key=*** b https://y/?sig=***&z=3"},
		{"parse error quoting a broken url", `parse "http://u:p@a b/?token=s": invalid character " " in host name`,
			`parse "http://***@a b/?token=***": invalid character " " in host name`},
		{"email is not a url", "mail someone@example.org", "mail someone@example.org"},
		{"at sign in a path", "http://example.org/@user/feed", "http://example.org/@user/feed"},
		{"no secrets", "nothing to see", "nothing to see"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.Text(tt.in); got != tt.want {
				t.Errorf("Text(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzRedactor checks that no secret survives: whatever surrounds them, a
// password and a token put into a URL never appear in what URL or Text
// return for it, or for an error quoting it.
func FuzzRedactor(f *testing.F) {
	f.Add("example.org", "/feed.xml", "page=2")
	f.Add("127.0.0.1:9", "/a b", "x=1;y=2")
	f.Add("[::1]:80", "/@x", "")
	r := NewRedactor(Secrets{})
	f.Fuzz(func(t *testing.T, host, path, query string) {
		const pw, tok = "hunter2pw", "S3CRETtok"
		raw := "http://user:" + pw + "@" + host + path + "?token=" + tok
		if query != "" {
			raw += "&" + query
		}
		if strings.ContainsAny(host+path+query, "#\x00\r\n\t \"'<>") || strings.Contains(host+path+query, pw) ||
			strings.Contains(host+path+query, tok) || strings.Contains(host, "@") || strings.Contains(host, "/") ||
			strings.Contains(host, "?") {
			return
		}
		if u, err := url.Parse(raw); err == nil && u.User == nil {
			return // the host part swallowed the user-info: not this test's shape
		}
		for _, got := range []string{r.URL(raw), r.Text(raw), r.Text((&url.Error{Op: "Get", URL: raw, Err: errors.New("x")}).Error())} {
			if strings.Contains(got, pw) || strings.Contains(got, tok) {
				t.Fatalf("secret survived redaction of %q: %q", raw, got)
			}
		}
	})
}

// configured is a Redactor of a config whose source URLs carry secrets
// from the environment (long in the path, short in a query value) and
// written in the file (user-info, a secret parameter).
func configured() *Redactor {
	return NewRedactor(Secrets{
		Params: []string{"feed_key"},
		Values: []string{"PATHSECRET77", "zq7x"},
		URLs:   []string{"https://bob:pw@example.org/feeds/PATHSECRET77/rss?feed_key=zq7x&private_token=L1TERALtok"},
	})
}

func TestRedactorPublicURL(t *testing.T) {
	r := configured()
	tests := []struct{ name, in, want string }{
		{"plain", "https://example.org/post?id=5#top", "https://example.org/post?id=5#top"},
		{"user-info dropped", "https://someone:else@example.org/x", "https://example.org/x"},
		{"secret value param dropped", "https://example.org/x?feed_key=zq7x&id=5", "https://example.org/x?id=5"},
		{"literal secret param value dropped", "https://example.org/x?a=L1TERALtok", "https://example.org/x"},
		{"upstream's own token kept", "https://example.org/x?token=theirs", "https://example.org/x?token=theirs"},
		{"long secret in path", "https://example.org/feeds/PATHSECRET77/item.html", ""},
		{"escaped long secret in a query", "https://example.org/a?next=%2Ffeeds%2FPATHSECRET77", "https://example.org/a"},
		{"escaped long secret in a path", "https://example.org/a/%50ATHSECRET77", ""},
		{"short secret as a segment", "https://example.org/zq7x/item", ""},
		{"short secret as a fragment", "https://example.org/item#zq7x", ""},
		{"short secret inside a word kept", "https://example.org/zq7xy/item?q=azq7x", "https://example.org/zq7xy/item?q=azq7x"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.PublicURL(tt.in); got != tt.want {
				t.Errorf("PublicURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactorBase(t *testing.T) {
	r := configured()
	tests := []struct{ in, want string }{
		{"https://bob:pw@example.org/feed.xml?token=abc&page=1", "https://example.org/feed.xml?page=1"},
		{"https://example.org/feed.xml?feed_key=zq7x", "https://example.org/feed.xml"},
		{"https://example.org/feed.xml?Private-Token=x", "https://example.org/feed.xml"},
		{"https://example.org/feed.xml", "https://example.org/feed.xml"},
	}
	for _, tt := range tests {
		if got := r.Base(tt.in); got != tt.want {
			t.Errorf("Base(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestRedactorMessages: secrets anywhere in a message are hidden whole;
// a short secret is never looked for as text, so words that hold its
// letters stay as they are.
func TestRedactorMessages(t *testing.T) {
	r := configured()
	tests := []struct{ name, in, want string }{
		{"path token", `Get "https://example.org/feeds/PATHSECRET77/rss": EOF`, `Get "https://example.org/feeds/***/rss": EOF`},
		{"escaped path token", "GET /a?next=%2Ffeeds%2FPATHSECRET77", "GET /a?next=%2Ffeeds%2F***"},
		{"compound names", "https://e.org/?feed_token=1&privateToken=2&x-api-key=3&keyword=go",
			"https://e.org/?feed_token=***&privateToken=***&x-api-key=***&keyword=go"},
		{"configured name", "https://e.org/?feed_key=anything", "https://e.org/?feed_key=***"},
		{"short value as a query value", "https://e.org/?q=zq7x&n=1", "https://e.org/?q=***&n=1"},
		{"short value's letters in words", "zq7xylophone at lzq7x", "zq7xylophone at lzq7x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.Text(tt.in); got != tt.want {
				t.Errorf("Text(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
	if got, want := r.URL("https://example.org/zq7x/rss?feed_key=zq7x"), "https://example.org/***/rss?feed_key=***"; got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
}

func TestRedactorPublicText(t *testing.T) {
	r := configured()
	for in, want := range map[string]string{
		"token PATHSECRET77 here":            "token *** here",
		"curl http://u:p@host/x":             "curl http://host/x",
		"mail bob@example.org":               "mail bob@example.org",
		"zq7x is short: never looked for":    "zq7x is short: never looked for",
		"&lt;PATHSECRET77&gt; stays escaped": "&lt;***&gt; stays escaped",
	} {
		if got := r.PublicText(in); got != want {
			t.Errorf("PublicText(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzPublicURL checks that what PublicURL lets through for publishing
// holds no user-info and no secret value, whatever URL an upstream writes
// around them.
func FuzzPublicURL(f *testing.F) {
	f.Add("https://example.org/feeds/PATHSECRET77/x?a=1#f")
	f.Add("http://bob:pw@e.org/?feed_key=zq7x&b=%50ATHSECRET77")
	f.Add("https://e.org/zq7x#zq7x")
	f.Add("https://e.org/%2550ATHSECRET77")
	r := configured()
	f.Fuzz(func(t *testing.T, raw string) {
		got := r.PublicURL(raw)
		if got == "" {
			return
		}
		u, err := url.Parse(got)
		if err == nil && u.User != nil {
			t.Fatalf("PublicURL(%q) = %q keeps user-info", raw, got)
		}
		for _, s := range []string{got, unescape(got)} {
			if strings.Contains(s, "PATHSECRET77") || strings.Contains(s, "L1TERALtok") {
				t.Fatalf("PublicURL(%q) = %q keeps a secret", raw, got)
			}
		}
		if err == nil {
			for _, v := range u.Query() {
				for _, x := range v {
					if x == "zq7x" {
						t.Fatalf("PublicURL(%q) = %q keeps a short secret as a query value", raw, got)
					}
				}
			}
		}
	})
}
