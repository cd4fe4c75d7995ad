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
