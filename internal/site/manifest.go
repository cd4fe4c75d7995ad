package site

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// manifestName lists, in the output folder, the files Herald wrote there,
// so a run removes those it no longer produces (a deleted article's page)
// and nothing else. Its first line says whether the run that wrote it
// finished:
//
//	herald-files 2 complete
//	PATH<TAB>SHA-256/128<TAB>SIZE<TAB>MTIME_NS<TAB>SOURCE
//
// A run writes an "incomplete" manifest, listing every path it may create
// besides the previous ones, before it renames its first file into place,
// and the "complete" one after the last. So whatever point a run is killed
// at, the next one knows every file it may have to remove, and it trusts
// the recorded hashes (and so skips a file with one stat) only when the
// previous run finished and the file's size and modification time are
// still the recorded ones; otherwise it compares the bytes.
const manifestName = ".herald-files"

const (
	manifestComplete   = "herald-files 2 complete"
	manifestIncomplete = "herald-files 2 incomplete"
)

// Entry is one file of an output folder as its manifest records it.
type Entry struct {
	Hash   string // "" when unknown or not to be trusted
	Size   int64
	MTime  int64 // nanoseconds since the epoch
	Source string
}

// Manifest is what the previous run recorded about an output folder.
type Manifest struct {
	// Complete is false when the run that wrote it was interrupted (or
	// the folder is new, or written by an older Herald).
	Complete bool
	Files    map[string]Entry
}

// ReadManifest returns what the last run recorded in dir's manifest; an
// absent or unreadable manifest is an empty, incomplete one.
func ReadManifest(dir string) Manifest {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return Manifest{Files: map[string]Entry{}}
	}
	defer root.Close()
	return readManifest(root)
}

// readManifest is ReadManifest in an open folder. A manifest that is not
// a regular file (a link) counts as absent: Herald's own is never a link.
func readManifest(root *os.Root) Manifest {
	m := Manifest{Files: map[string]Entry{}}
	if fi, err := root.Lstat(manifestName); err != nil || !fi.Mode().IsRegular() {
		return m
	}
	f, err := root.Open(manifestName)
	if err != nil {
		return m
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	first := true
	for sc.Scan() {
		line := sc.Text()
		if first {
			first = false
			if line == manifestComplete {
				m.Complete = true
				continue
			}
			if line == manifestIncomplete {
				continue
			}
			// An older manifest ("PATH<TAB>HASH"): keep its paths, trust
			// nothing else.
		}
		fields := strings.Split(line, "\t")
		path := fields[0]
		if path == "" || !filepath.IsLocal(filepath.FromSlash(path)) || path == manifestName {
			continue
		}
		var e Entry
		if len(fields) == 5 {
			e.Hash = fields[1]
			e.Size, _ = strconv.ParseInt(fields[2], 10, 64)
			e.MTime, _ = strconv.ParseInt(fields[3], 10, 64)
			e.Source = fields[4]
		}
		m.Files[path] = e
	}
	if sc.Err() != nil {
		m.Complete = false
	}
	return m
}

// trusted reports whether the file at path is known, without reading it,
// to hold the bytes whose hash is hash.
func (m Manifest) trusted(root *os.Root, path, hash string) bool {
	e, ok := m.Files[path]
	if !m.Complete || !ok || e.Hash == "" || e.Hash != hash {
		return false
	}
	fi, err := root.Lstat(filepath.FromSlash(path))
	return err == nil && fi.Mode().IsRegular() && fi.Size() == e.Size && fi.ModTime().UnixNano() == e.MTime
}

// encode renders m as the manifest file's bytes, paths sorted.
func (m Manifest) encode() []byte {
	var b strings.Builder
	if m.Complete {
		b.WriteString(manifestComplete + "\n")
	} else {
		b.WriteString(manifestIncomplete + "\n")
	}
	paths := make([]string, 0, len(m.Files))
	for p := range m.Files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		e := m.Files[p]
		fmt.Fprintf(&b, "%s\t%s\t%d\t%d\t%s\n", p, e.Hash, e.Size, e.MTime, e.Source)
	}
	return []byte(b.String())
}

// tmpPattern matches the temporary files writeAtomic and Write create:
// ".NAME.PID.SEQ.tmp".
var tmpPattern = regexp.MustCompile(`^\..+\.[0-9]+\.[0-9]+\.tmp$`)

// removeStaleTemps removes the temporary files a killed run left in dirs,
// folders Herald writes to. Hidden as they are, a static server may still
// serve them. Callers have refused links on the way (checkLinks), and
// root refuses paths that leave it.
func removeStaleTemps(root *os.Root, dirs []string) {
	for _, d := range dirs {
		f, err := root.Open(d)
		if err != nil {
			continue
		}
		entries, err := f.ReadDir(-1)
		f.Close()
		if err != nil {
			continue
		}
		for _, e := range entries {
			if e.Type().IsRegular() && tmpPattern.MatchString(e.Name()) {
				root.Remove(filepath.Join(d, e.Name()))
			}
		}
	}
}
