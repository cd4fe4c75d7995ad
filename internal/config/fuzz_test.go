package config

import (
	"errors"
	"os"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse: it must not panic, and must
// return either a config or an error made of *Error values.
func FuzzParse(f *testing.F) {
	shipped, err := os.ReadFile("../../config.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(shipped)
	f.Add([]byte(minimal))
	f.Add([]byte(header + "schedule: \"TZ=Europe/Paris\"\n"))
	f.Add([]byte(header + "fetch:\n  max_body: 10MiB\n  timeout: 3s\n"))
	f.Add([]byte("a: &x [1, 2]\nb: *x\n<<: {c: d}\n"))
	f.Add([]byte("title: !!str 3\nbase_url: !!binary aGVsbG8=\n"))
	f.Add([]byte("title: x\nbase_url: http://e.org/\nfetch: &f {retries: 1}\nsources:\n  - {<<: *f, name: a}\n  - &s {name: b}\nfeeds: [*s, *nope]\n"))
	f.Add([]byte("a: |\n  [[[[\nb: \"{{\"\n"))
	f.Add([]byte("sources:\n  - {name: a, type: page, url: 'http://x/', item: a, title: b, link: c}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if (c == nil) == (err == nil) {
			t.Fatalf("Parse = %v, %v; want exactly one of a config and an error", c, err)
		}
		if err != nil {
			for _, e := range unjoin(err) {
				var ce *Error
				if !errors.As(e, &ce) {
					t.Fatalf("error %q is %T, want *config.Error", e, e)
				}
			}
			return
		}
		// A config that parses must validate as it stands.
		if err := c.Validate(); err != nil {
			t.Fatalf("parsed config fails Validate: %v", err)
		}
	})
}
