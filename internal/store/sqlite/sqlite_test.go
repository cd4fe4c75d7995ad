package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldfeed/herald/internal/smallfs"

	"github.com/heraldfeed/herald/feed"

	"github.com/heraldfeed/herald/internal/store"
	"github.com/heraldfeed/herald/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestTwoOpeners: two stores on one data_dir (as serve and a generate run
// beside it, each with its own connections and file locks) write at once
// without errors or lost writes: a writer waits for the other.
func TestTwoOpeners(t *testing.T) {
	dir := t.TempDir()
	var stores [2]*Store
	for i := range stores {
		s, err := Open(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	const rounds = 30
	errs := make(chan error, 2)
	for i, s := range stores {
		go func() {
			src := fmt.Sprint("src", i)
			for n := range rounds {
				a := storetest.Article(fmt.Sprint(src, "-", n), "x", time.Unix(int64(n), 0).UTC())
				if _, err := s.Save(context.Background(), store.Collection{Key: src, Source: src, Now: time.Unix(int64(n), 0),
					Articles: []feed.Article{a}}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range stores {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i := range stores {
		arts, err := storetest.History(context.Background(), stores[1-i], fmt.Sprint("src", i))
		if err != nil || len(arts) != rounds {
			t.Errorf("src%d: %d articles (%v), want %d", i, len(arts), err, rounds)
		}
	}
}

// TestDiskFull: a save that does not fit on the disk (a small tmpfs) fails
// with an error, and the previous data stays, intact and readable, by
// this store and by a new one.
func TestDiskFull(t *testing.T) {
	mnt := smallfs.Mount(t, 1<<20)
	ctx := context.Background()
	s, err := Open(ctx, mnt)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	first := []feed.Article{storetest.Article("a", "small", time.Unix(100, 0).UTC())}
	if _, err := s.Save(ctx, store.Collection{Key: "k", Source: "src", Articles: first, Now: time.Unix(100, 0)}); err != nil {
		t.Fatal(err)
	}
	var big []feed.Article
	for i := range 40 {
		big = append(big, storetest.Article(fmt.Sprint("big", i), strings.Repeat(fmt.Sprint("incompressible? no, but large ", i), 2000), time.Unix(200, 0).UTC()))
	}
	_, err = s.Save(ctx, store.Collection{Key: "k", Source: "src", Articles: append(first, big...), Now: time.Unix(200, 0)})
	if err == nil || !strings.Contains(err.Error(), "full") {
		t.Fatalf("Save on a full disk = %v, want a disk-full error", err)
	}
	check := func(s *Store) {
		t.Helper()
		arts, err := storetest.History(ctx, s, "src")
		if err != nil || len(arts) != 1 || arts[0].Content != "small" {
			t.Errorf("after the failed save: %d articles, %v; want the first collection's one", len(arts), err)
		}
		var res string
		if err := s.db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
			t.Errorf("integrity_check = %q, %v", res, err)
		}
	}
	check(s)
	again, err := Open(ctx, mnt)
	if err != nil {
		t.Fatalf("Open after the failed save: %v", err)
	}
	defer again.Close()
	check(again)
}

// TestForeignDatabase: a SQLite database of another program in data_dir
// is refused, naming its path, and left as it was.
func TestForeignDatabase(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before, _ := os.ReadFile(path)
	s, err := Open(context.Background(), dir)
	if err == nil {
		s.Close()
		t.Fatal("a foreign database was opened")
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not a Herald database") {
		t.Errorf("error %q does not name the file and say why", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("the foreign database was changed")
	}
}

// TestDamagedDatabase: a damaged database met after opening (as serve
// meets it, in a collection) is reported with its path.
func TestDamagedDatabase(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	var list []feed.Article
	for i := range 300 {
		list = append(list, storetest.Article(fmt.Sprintf("a%03d", i), strings.Repeat("words ", 200), time.Unix(int64(i)*3600, 0)))
	}
	if _, err := s.Save(ctx, store.Collection{Key: "src@k", Source: "src", Articles: list, Now: time.Unix(0, 0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	path := filepath.Join(dir, FileName)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	// Garbage over the pages after the first few (the schema stays
	// readable, so the damage shows when the articles are read).
	f.WriteAt(bytes.Repeat([]byte{0xA5}, int(fi.Size())/2), fi.Size()/4)
	f.Close()
	s, err = Open(ctx, dir)
	if err != nil {
		if !strings.Contains(err.Error(), path) {
			t.Fatalf("open error %q does not name the file", err)
		}
		return
	}
	defer s.Close()
	_, err = storetest.History(ctx, s, "src")
	if err == nil {
		_, err = s.Save(ctx, store.Collection{Key: "src@k", Source: "src", Articles: list[:1], Now: time.Unix(0, 0)})
	}
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("reading a damaged database: %v; want an error naming %s", err, path)
	}
}
