package site

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzReadManifest: a manifest of any bytes (torn, edited, older) reads
// without panicking, into paths that stay inside the folder, and what it
// reads survives a write and a read unchanged.
func FuzzReadManifest(f *testing.F) {
	f.Add([]byte(manifestComplete + "\na.rss\tabc\t3\t17\t\narticles/p.html\tdef\t1\t2\tlocal\n"))
	f.Add([]byte(manifestIncomplete + "\nx\t\t0\t0\ts\n"))
	f.Add([]byte("a.rss\t0123\nb.json\t4567\n"))
	f.Add([]byte("../x\t1\t2\t3\t4\n/etc/passwd\n.herald-files\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, manifestName), data, 0o644); err != nil {
			t.Fatal(err)
		}
		m := ReadManifest(dir)
		for p := range m.Files {
			if !filepath.IsLocal(filepath.FromSlash(p)) || p == manifestName {
				t.Fatalf("path %q leaves the folder", p)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, manifestName), m.encode(), 0o644); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(m, ReadManifest(dir)); diff != "" {
			t.Errorf("round trip (-first +second):\n%s", diff)
		}
	})
}
