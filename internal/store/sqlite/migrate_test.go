package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldfeed/herald/internal/store"
	"github.com/heraldfeed/herald/internal/store/storetest"
)

// TestMigrateV1: a database made by schema version 1 (testdata/v1.sql,
// as the first Herald with a store wrote it) opens, is upgraded, and
// keeps its records and articles.
func TestMigrateV1(t *testing.T) {
	dir := t.TempDir()
	ddl, err := os.ReadFile("testdata/v1.sql")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range strings.Split(string(ddl), ";") {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("v1 DDL: %v", err)
		}
	}
	pub := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if _, err := db.Exec(`INSERT INTO records VALUES ('s@k', '{"validators":{"etag":"\"v1\""}}', '{"name":"s"}')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO articles VALUES ('s', 'a', 1, ?, ?, ?, 'h', '{"ID":"a","Title":"Old","Page":"articles/old.html"}')`,
		pub.Unix(), pub.Unix(), pub.Unix()); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatalf("Open of a v1 database: %v", err)
	}
	defer s.Close()
	var v int
	if err := s.db.QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil || v != Version {
		t.Errorf("schema version after Open = %d (%v), want %d", v, err, Version)
	}
	var idx int
	s.db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'articles_seq'`).Scan(&idx)
	if idx != 1 {
		t.Error("migration 2 did not create articles_seq")
	}
	rec, ok, err := s.Load(context.Background(), "s@k")
	if err != nil || !ok || rec.State.Validators.ETag != `"v1"` {
		t.Errorf("record after migration = %+v, %v, %v", rec, ok, err)
	}
	arts, err := storetest.History(context.Background(), s, "s")
	if err != nil || len(arts) != 1 || arts[0].Title != "Old" || !arts[0].Published.Equal(pub) {
		t.Errorf("articles after migration = %+v, %v", arts, err)
	}
	if a, ok, err := s.ArticleByPage(context.Background(), "articles/old.html"); err != nil || !ok || a.ID != "a" {
		t.Errorf("ArticleByPage after migration = %+v, %v, %v (migration 4 fills the page column)", a, ok, err)
	}
	// Opening again is a no-op.
	s.Close()
	again, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	again.Close()
}

// TestOpenErrors: what cannot be used is refused with a message that says
// why and names the place.
func TestOpenErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		prepare func(t *testing.T) string // returns the data_dir
		want    []string
		is      error
	}{
		{"newer schema", func(t *testing.T) string {
			dir := t.TempDir()
			s, err := Open(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			s.db.Exec(`UPDATE schema_version SET version = 99`)
			s.Close()
			return dir
		}, []string{"schema version 99", "newer version of Herald", FileName}, store.ErrNewer},
		{"not a database", func(t *testing.T) string {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, FileName), []byte(strings.Repeat("this is not SQLite\n", 400)), 0o644)
			return dir
		}, []string{"not a Herald database", FileName}, nil},
		{"data_dir is a file", func(t *testing.T) string {
			f := filepath.Join(t.TempDir(), "file")
			os.WriteFile(f, nil, 0o644)
			return f
		}, []string{"data_dir", "file"}, nil},
		{"data_dir not writable", func(t *testing.T) string {
			if os.Geteuid() == 0 {
				// root writes anywhere: a folder under a file cannot be made either way.
				f := filepath.Join(t.TempDir(), "ro")
				os.WriteFile(f, nil, 0o644)
				return filepath.Join(f, "data")
			}
			dir := filepath.Join(t.TempDir(), "ro")
			os.Mkdir(dir, 0o555)
			return dir
		}, []string{"data_dir", "ro"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.prepare(t)
			s, err := Open(context.Background(), dir)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
		})
	}
}

// TestSchema runs the migration cases every backend shares.
func TestSchema(t *testing.T) {
	storetest.RunSchema(t, storetest.Schema{
		New: func(t *testing.T) string { return t.TempDir() },
		Open: func(ctx context.Context, dir string) (store.Store, error) {
			return Open(ctx, dir)
		},
		Version: func(t *testing.T, dir string) int {
			db, err := sql.Open("sqlite", filepath.Join(dir, FileName))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var v int
			if err := db.QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil {
				t.Fatal(err)
			}
			return v
		},
		SetVersion: func(t *testing.T, dir string, v int) {
			db, err := sql.Open("sqlite", filepath.Join(dir, FileName))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(`UPDATE schema_version SET version = ?`, v); err != nil {
				t.Fatal(err)
			}
		},
		Want: Version,
	})
}
