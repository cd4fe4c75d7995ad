package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/heraldfeed/herald/feed"
)

// Snapshot is the complete set of resources served until the next Publish.
type Snapshot struct {
	Pages []feed.File
	// MaxAge becomes Cache-Control: public, max-age=N (whole seconds);
	// zero or negative means max-age=0.
	MaxAge time.Duration
	// Pending are paths that exist once their first collection finishes
	// (the feeds of a source still collecting after start-up). Until a
	// snapshot has them they answer 503 with Retry-After, not 404, so a
	// feed reader polling at start-up does not drop the subscription.
	Pending []string
	// Stamped says the snapshot is publication Gen of a replica set: the
	// pages' Modified are final Last-Modified values, decided once for
	// every replica (LastModified, applied by the leader), and each
	// page's ETag names the publication that last changed it (File.Gen),
	// so replicas serving the same bytes give the same validators and a
	// replica shown a newer tag than it serves can catch up first
	// (Options.CatchUp).
	Stamped bool
	Gen     int64
}

// entry is a Page with every response header precomputed. Each header value
// is its own []string with len == cap, assigned into the response header map
// as is: net/http only reads these, and an Add by a wrapper would have to
// reallocate rather than write into the shared array.
type entry struct {
	body     []byte
	gz       []byte // nil when gzip would not be smaller than body
	modified time.Time
	// changed is when this process saw the body change (its first entry:
	// its Last-Modified), for the status page's "Last change".
	changed time.Time
	// files[gz] hold body and gz for sendfile (sendfile_linux.go), or nil
	// for bodies written from memory. An entry built from an unchanged
	// body shares its predecessor's; Publish closes the ones no longer
	// published.
	files [2]*os.File

	ctype []string
	// browser is the Content-Type a browser gets (accept.go), nil when
	// the page is served alike to everyone; vary is the Vary value.
	browser  []string
	vary     []string
	etag     []string // strong ETag of body
	etagGz   []string // strong ETag of gz; distinct because the bytes differ
	lastMod  []string
	length   []string
	lengthGz []string
	cache    []string // shared by every entry of a snapshot
	csp      []string // Content-Security-Policy (security.go)

	// The same headers as wire bytes, for the fast path (fast.go): a
	// status line and every header but Date, which the fast path writes
	// last (net/http sorts it among the others; order carries no meaning
	// in HTTP). heads[gz][notModified].
	heads [2][2][]byte
}

// snapshot is the immutable, published form of a Snapshot.
type snapshot struct {
	pages   map[string]*entry
	pending map[string]bool
	cache   []string // Cache-Control of its pages
	stamped bool     // Snapshot.Stamped
	gen     int64    // Snapshot.Gen
}

// validPath reports whether p is a clean relative path a request can reach
// exactly: no leading or trailing slash, no empty, "." or ".." segments.
func validPath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("empty path")
	case routes[p].serve != nil:
		return fmt.Errorf("path %q is reserved", p)
	case strings.HasPrefix(p, "/"), strings.HasSuffix(p, "/"):
		return fmt.Errorf("path %q must not start or end with a slash", p)
	case path.Clean(p) != p, p == "..", strings.HasPrefix(p, "../"):
		return fmt.Errorf("path %q is not clean", p)
	case strings.ContainsAny(p, "?#\\\x00"):
		return fmt.Errorf("path %q has a character a request path cannot carry", p)
	}
	return nil
}

// etagOf returns the strong ETag (quoted) of b: the first 16 bytes of its
// SHA-256 in hex. Collisions among one site's pages are not a concern.
func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// genETag is the ETag of a stamped page: etag prefixed with the
// publication gen that last changed it (newestGen reads it back).
func genETag(gen int64, etag string) string {
	return `"` + strconv.FormatInt(gen, 10) + "." + etag[1:]
}

// gzipETag derives the gzip representation's ETag from the identity one.
func gzipETag(etag string) string {
	return etag[:len(etag)-1] + `-gz"`
}

// compress returns b gzipped at BestCompression, or nil when that is not
// smaller than b (tiny pages), so the identity body is served instead.
func compress(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	if buf.Len() >= len(b) {
		return nil, nil
	}
	return bytes.Clone(buf.Bytes()), nil
}

// LastModified decides the Last-Modified of a page whose body changed (or is
// new). prev is the previous Last-Modified (zero for a new page). The rule
// keeps Last-Modified moving forward whenever the content changes, so a
// client revalidating with If-Modified-Since never misses a change:
// the publisher's Modified if later than prev, otherwise now; never in the
// future; and if even now is not after prev (two changes within a second,
// or the clock stepped back), prev plus one second.
func LastModified(modified, prev, now time.Time) time.Time {
	now = now.Truncate(time.Second).UTC()
	modified = modified.Truncate(time.Second).UTC()
	lm := now
	if modified.After(prev) && !modified.After(now) {
		lm = modified
	}
	if !prev.IsZero() && !lm.After(prev) {
		lm = prev.Add(time.Second)
	}
	return lm
}

// build precomputes the entry for p. prev is the entry published at the
// same path in the previous snapshot, or nil. When the body is unchanged the
// previous body, gzip, ETags and Last-Modified are reused: they are what
// clients hold, and recompressing would only cost time.
func build(p feed.File, prev *entry, cache, htmlPolicy []string, now time.Time, stamped bool) (*entry, error) {
	e := &entry{ctype: []string{p.MediaType}, cache: cache, browser: browserType(p.MediaType), vary: hdrVary,
		csp: pagePolicy(p.MediaType, htmlPolicy)}
	if e.browser != nil {
		e.vary = hdrVaryAccept
	}
	if stamped {
		p.Modified = p.Modified.Truncate(time.Second).UTC()
	}
	if prev != nil && bytes.Equal(prev.body, p.Body) {
		e.body, e.gz, e.modified, e.changed = prev.body, prev.gz, prev.modified, prev.changed
		e.etag, e.etagGz, e.lastMod = prev.etag, prev.etagGz, prev.lastMod
		e.length, e.lengthGz = prev.length, prev.lengthGz
		e.files = prev.files
		if stamped && !p.Modified.Equal(e.modified) {
			e.modified = p.Modified
			e.lastMod = []string{e.modified.Format(http.TimeFormat)}
		}
		if stamped {
			// The same bytes, served before under another publication or
			// unstamped: the tag is the publication's.
			if tag := genETag(p.Gen, etagOf(e.body)); tag != e.etag[0] {
				e.etag, e.etagGz = []string{tag}, []string{gzipETag(tag)}
			}
		}
		e.buildHeads()
		return e, nil
	}
	// The publisher may reuse its buffer after Publish returns.
	e.body = bytes.Clone(p.Body)
	if e.body == nil {
		e.body = []byte{}
	}
	gz, err := compress(e.body)
	if err != nil {
		return nil, fmt.Errorf("compressing %s: %w", p.Path, err)
	}
	e.gz = gz
	var prevMod time.Time
	if prev != nil {
		prevMod = prev.modified
	}
	e.modified = LastModified(p.Modified, prevMod, now)
	if stamped {
		e.modified = p.Modified
	}
	e.changed = e.modified
	if prev != nil {
		e.changed = now.Truncate(time.Second).UTC()
	}
	tag := etagOf(e.body)
	if stamped {
		tag = genETag(p.Gen, tag)
	}
	e.etag = []string{tag}
	e.etagGz = []string{gzipETag(tag)}
	e.lastMod = []string{e.modified.Format(http.TimeFormat)}
	e.length = []string{strconv.Itoa(len(e.body))}
	e.lengthGz = []string{strconv.Itoa(len(e.gz))}
	e.files = [2]*os.File{bodyFile(e.body), bodyFile(e.gz)}
	e.buildHeads()
	return e, nil
}

// buildHeads renders the response heads the fast path writes: the headers
// servePage sets, sorted by name as net/http writes them, without the Date
// line, which the fast path appends last.
func (e *entry) buildHeads() {
	for gz := range 2 {
		etag, length := e.etag[0], e.length[0]
		if gz == 1 {
			etag, length = e.etagGz[0], e.lengthGz[0]
		}
		var b strings.Builder
		b.WriteString("HTTP/1.1 200 OK\r\nCache-Control: " + e.cache[0] + "\r\n")
		if gz == 1 {
			b.WriteString("Content-Encoding: gzip\r\n")
		}
		b.WriteString("Content-Length: " + length + "\r\nContent-Security-Policy: " + e.csp[0] + "\r\nContent-Type: " + e.ctype[0] + "\r\n")
		b.WriteString("Etag: " + etag + "\r\nLast-Modified: " + e.lastMod[0] + "\r\nReferrer-Policy: " + hdrNoReferrer[0] +
			"\r\nVary: " + e.vary[0] + "\r\nX-Content-Type-Options: nosniff\r\n")
		e.heads[gz][0] = []byte(b.String())
		e.heads[gz][1] = []byte("HTTP/1.1 304 Not Modified\r\nCache-Control: " + e.cache[0] + "\r\nEtag: " + etag +
			"\r\nLast-Modified: " + e.lastMod[0] + "\r\nVary: " + e.vary[0] + "\r\nX-Content-Type-Options: nosniff\r\n")
	}
}

// immutableCache is the Cache-Control of an Immutable page.
var immutableCache = []string{"public, max-age=31536000, immutable"}

// cacheControl renders the Cache-Control value for maxAge.
func cacheControl(maxAge time.Duration) []string {
	secs := int64(maxAge / time.Second)
	if secs < 0 {
		secs = 0
	}
	return []string{"public, max-age=" + strconv.FormatInt(secs, 10)}
}
