package server

import (
	"bytes"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/net/http/httpguts"
)

// The fast path answers the requests feed readers send all day — a plain
// HTTP/1.1 GET or HEAD of a published page, with or without validators —
// straight from the precomputed bytes: one read, one parse over the
// buffer, one writev of head and body. Everything else (another method,
// /healthz, /metrics, an unknown path, a body, Expect, Upgrade,
// Connection, HTTP/1.0, anything the strict parser below does not
// recognise) hands the connection, with the bytes already read, to the
// http.Server, which keeps it from then on, under the deadline the request
// already had. The fast path never answers what net/http would answer
// differently: a differential test sends the same requests to both, and
// FuzzParseFast checks every head the parser accepts against
// http.ReadRequest and the httpguts validators. Options.NoFastPath turns it
// off.
//
// Measured with wrk against nginx on 2 CPUs, net/http's own per-request
// work (parsing into maps, header sorting, a background read per request,
// goroutine hand-offs) was most of a 304's cost, well above nginx's.

// maxFastHead is the longest request head the fast path reads before it
// gives the connection to net/http (which enforces MaxHeaderBytes).
const maxFastHead = 8 << 10

// fastRequest is what the fast path needs of a request.
type fastRequest struct {
	head           bool   // HEAD rather than GET
	path           []byte // without the leading "/" and the query
	host           []byte
	acceptEncoding []string
	ifNoneMatch    []string
	ifModSince     []string
	// html is an Accept naming text/html: a feed then goes to net/http,
	// which decides what a browser gets (accept.go).
	html bool
}

// fastParser parses a request head line by line as its bytes arrive, so
// each byte is looked at once however the head is split across reads,
// and a line net/http would refuse hands the connection over at once (for
// net/http to answer 400) instead of waiting for the rest of the head.
type fastParser struct {
	req  fastRequest
	off  int // length of the whole lines of the current head parsed so far
	host bool
}

// parse continues parsing the request head at the start of buf, of which
// it has seen p.off bytes before. It returns the head's length (and ok)
// once the head is complete, 0 and ok while more bytes are needed, and 0
// and not ok as soon as the request is not one the fast path serves. The fields of p.req point
// into buf and are valid until the next call.
func (p *fastParser) parse(buf []byte) (n int, ok bool) {
	if p.off == 0 {
		r := &p.req
		*r = fastRequest{acceptEncoding: r.acceptEncoding[:0], ifNoneMatch: r.ifNoneMatch[:0], ifModSince: r.ifModSince[:0]}
		p.host = false
	}
	for {
		// The whole head must end within maxFastHead bytes, however the
		// reads split it.
		i := bytes.IndexByte(buf[p.off:min(len(buf), maxFastHead)], '\n')
		if i < 0 {
			return 0, len(buf) < maxFastHead
		}
		start, end := p.off, p.off+i
		// A bare LF ends lines for net/http too; such a client is its to
		// serve.
		if end == start || buf[end-1] != '\r' {
			return 0, false
		}
		line := buf[start : end-1]
		p.off = end + 1
		switch {
		case start == 0:
			ok = p.requestLine(line)
		case len(line) == 0:
			// HTTP/1.1 requires Host; net/http answers its absence with
			// 400.
			n, p.off = p.off, 0
			if !p.host {
				return 0, false
			}
			return n, true
		default:
			ok = p.field(line)
		}
		if !ok {
			return 0, false
		}
	}
}

// requestLine parses "GET /path HTTP/1.1" or "HEAD /path HTTP/1.1".
func (p *fastParser) requestLine(line []byte) bool {
	switch {
	case bytes.HasPrefix(line, []byte("GET /")):
		line = line[4:]
	case bytes.HasPrefix(line, []byte("HEAD /")):
		p.req.head, line = true, line[5:]
	default:
		return false
	}
	target, ok := bytes.CutSuffix(line, []byte(" HTTP/1.1"))
	if !ok {
		return false
	}
	for _, c := range target {
		// net/http refuses controls and DEL anywhere in the target,
		// query included (url.ParseRequestURI), and a space ends the
		// target early, leaving a malformed version. '#' and bytes above
		// ASCII are its to judge.
		if c <= ' ' || c >= 0x7f || c == '#' {
			return false
		}
	}
	path, _, _ := bytes.Cut(target, []byte("?"))
	if bytes.IndexByte(path, '%') >= 0 {
		// Percent-encoding is net/http's to decode.
		return false
	}
	p.req.path = path[1:]
	return true
}

// field parses one header field line. Names, values and Host are checked
// with the validators net/http's server uses (httpguts), so the fast path
// never answers a request net/http would refuse with 400.
func (p *fastParser) field(line []byte) bool {
	name, value, ok := bytes.Cut(line, []byte(":"))
	if !ok || !httpguts.ValidHeaderFieldName(unsafeString(name)) {
		// Obsolete line folding, a malformed field: net/http answers
		// those (with 400), so the fast path must not.
		return false
	}
	value = bytes.Trim(value, " \t")
	if !httpguts.ValidHeaderFieldValue(unsafeString(value)) {
		return false
	}
	r := &p.req
	switch {
	case asciiEqualFold(name, "host"):
		if p.host || !httpguts.ValidHostHeader(unsafeString(value)) {
			return false
		}
		p.host, r.host = true, value
	case asciiEqualFold(name, "accept-encoding"):
		r.acceptEncoding = append(r.acceptEncoding, string(value))
	case asciiEqualFold(name, "if-none-match"):
		r.ifNoneMatch = append(r.ifNoneMatch, string(value))
	case asciiEqualFold(name, "if-modified-since"):
		r.ifModSince = append(r.ifModSince, string(value))
	case asciiEqualFold(name, "accept"):
		r.html = r.html || containsFold(value, "text/html")
	case asciiEqualFold(name, "content-length"):
		return string(value) == "0"
	case asciiEqualFold(name, "connection"):
		return asciiEqualFold(value, "keep-alive")
	case asciiEqualFold(name, "transfer-encoding"), asciiEqualFold(name, "expect"),
		asciiEqualFold(name, "upgrade"), asciiEqualFold(name, "http2-settings"):
		return false
	}
	return true
}

// unsafeString views b as a string without copying, for the httpguts
// validators, which take strings and keep nothing: copying every header
// of every request only to check it would cost an allocation each. b must
// not change while the string is in use.
func unsafeString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// containsFold reports whether b contains lower, ASCII case-insensitively,
// without allocating.
func containsFold(b []byte, lower string) bool {
	for i := 0; i+len(lower) <= len(b); i++ {
		if asciiEqualFold(b[i:i+len(lower)], lower) {
			return true
		}
	}
	return false
}

func asciiEqualFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// fastConns tracks the connections the fast path holds, so Serve can wake
// the idle ones at shutdown and wait for the busy ones.
type fastConns struct {
	mu      sync.Mutex
	conns   map[net.Conn]bool // true while a request is being answered
	closing bool
	wg      sync.WaitGroup
}

func (fc *fastConns) add(c net.Conn) bool {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if fc.closing {
		return false
	}
	if fc.conns == nil {
		fc.conns = map[net.Conn]bool{}
	}
	fc.conns[c] = false
	fc.wg.Add(1)
	return true
}

func (fc *fastConns) remove(c net.Conn) {
	fc.mu.Lock()
	delete(fc.conns, c)
	fc.mu.Unlock()
	fc.wg.Done()
}

// setBusy marks c busy or idle and reports whether the server is closing.
func (fc *fastConns) setBusy(c net.Conn, busy bool) (closing bool) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	fc.conns[c] = busy
	return fc.closing
}

func (fc *fastConns) isClosing() bool {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return fc.closing
}

// closeAll cuts every connection still on the fast path.
func (fc *fastConns) closeAll() {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	for c := range fc.conns {
		c.Close()
	}
}

// close stops the fast path: idle connections are woken (their read fails
// at once) and closed; busy ones finish their response first.
func (fc *fastConns) close() {
	fc.mu.Lock()
	fc.closing = true
	for c, busy := range fc.conns {
		if !busy {
			c.SetReadDeadline(time.Unix(1, 0))
		}
	}
	fc.mu.Unlock()
}

// serveFast answers requests on c until one is not for the fast path,
// then gives c to net/http through handoff. It returns when c is closed
// or handed off.
func (s *Server) serveFast(c net.Conn, fc *fastConns, handoff *handoffListener) {
	defer fc.remove(c)
	buf := make([]byte, 0, 4096)
	var p fastParser
	bufs := make(net.Buffers, 0, 3)
	rc := rawConn(c) // for sendfile
	// As in net/http, the first request's header timeout runs from the
	// connection's start, so a client that connects and sends nothing is
	// cut off after the header timeout, not the idle one.
	reqStart, first := time.Now(), true
	tc, _ := c.(*trackedConn) // nil in tests that call serveFast directly
	for {
		if !first && len(buf) > 0 {
			reqStart = time.Now() // pipelined: the request has begun
		}
		if first || len(buf) > 0 {
			c.SetReadDeadline(reqStart.Add(s.timeouts.readHeader))
		} else {
			c.SetReadDeadline(time.Now().Add(s.timeouts.idle))
			if tc != nil {
				tc.setIdle(true) // closed first at the connection cap
			}
		}
		// A shutdown that woke this connection before the deadline above
		// replaced its own would otherwise wait for the whole timeout.
		if fc.isClosing() {
			c.Close()
			return
		}
		n, ok := p.parse(buf)
		for ok && n == 0 {
			if len(buf) == cap(buf) {
				buf = append(buf, 0)[:len(buf)]
			}
			m, err := c.Read(buf[len(buf):cap(buf)])
			if m > 0 && len(buf) == 0 && !first {
				// The header timeout runs from a request's first byte and
				// is not renewed by later ones, so a client trickling
				// bytes cannot hold the connection.
				reqStart = time.Now()
				c.SetReadDeadline(reqStart.Add(s.timeouts.readHeader))
				if tc != nil {
					tc.setIdle(false)
				}
			}
			buf = buf[:len(buf)+m]
			if err != nil {
				c.Close()
				return
			}
			n, ok = p.parse(buf)
		}
		first = false
		snap := s.snap.Load()
		var e *entry
		if ok && snap != nil {
			e = snap.fastLookup(p.req.path)
			if s.behind(snap, e, p.req.ifNoneMatch) > 0 {
				e = nil // net/http's path waits for the catching up
			}
		}
		date := s.dateLine.Load()
		if e == nil || date == nil || p.req.html && e.browser != nil {
			// net/http restarts its clocks on a connection it is given:
			// the wrapper moves its deadlines back to when this request
			// began, so a hand-off grants a slow client no extra time.
			handoff.give(&replayConn{Conn: c, pending: buf, shift: time.Since(reqStart)})
			return
		}
		if !s.answerFast(c, rc, fc, e, &p.req, *date, bufs) {
			c.Close()
			return
		}
		// Keep what follows this request (pipelining) for the next turn.
		buf = buf[:copy(buf, buf[n:])]
	}
}

// answerFast writes the response to req from e and reports whether the
// connection may serve another request.
func (s *Server) answerFast(c net.Conn, rc syscall.RawConn, fc *fastConns, e *entry, req *fastRequest, date []byte, bufs net.Buffers) bool {
	if fc.setBusy(c, true) {
		return false
	}
	gz := 0
	if e.gz != nil && acceptsGzip(req.acceptEncoding) {
		gz = 1
	}
	code, body := http.StatusOK, e.body
	if gz == 1 {
		body = e.gz
	}
	nm := 0
	if e.notModified(req.ifNoneMatch, req.ifModSince) {
		code, body, nm = http.StatusNotModified, nil, 1
	}
	if req.head {
		body = nil
	}
	c.SetWriteDeadline(time.Now().Add(s.timeouts.write))
	err := errFileClosed
	if f := e.files[gz]; f != nil && body != nil && rc != nil {
		err = sendBody(rc, append(bufs[:0], e.heads[gz][nm], date), f, len(body))
	}
	if err == errFileClosed {
		bufs = append(bufs[:0], e.heads[gz][nm], date, body)
		_, err = bufs.WriteTo(c)
	}
	s.metrics.inc(code)
	return !fc.setBusy(c, false) && err == nil
}

// fastLookup finds the page for a request path as the fast parser gives it
// (without its first "/"); the common, already clean path is looked up
// without allocating.
func (sn *snapshot) fastLookup(path []byte) *entry {
	if len(path) == 0 || path[0] == '/' || bytes.Contains(path, []byte("//")) {
		return sn.pages[pageKey(string(path))]
	}
	return sn.pages[string(path)] // converted in place, no allocation
}

// replayConn is a connection handed to net/http with the bytes the fast
// path had already read from it.
type replayConn struct {
	net.Conn
	pending []byte
	// shift is how long the request being handed over had been under
	// way; until net/http first writes (its answer to that request), the
	// read deadlines it sets are moved back by as much, so the request's
	// header and read timeouts run from its start, not from the hand-off.
	shift time.Duration
	wrote atomic.Bool
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		if len(c.pending) == 0 {
			c.pending = nil // the fast path's buffer can go
		}
		return n, nil
	}
	return c.Conn.Read(p)
}

func (c *replayConn) Write(p []byte) (int, error) {
	c.wrote.Store(true)
	return c.Conn.Write(p)
}

func (c *replayConn) SetReadDeadline(t time.Time) error {
	if !t.IsZero() && !c.wrote.Load() {
		t = t.Add(-c.shift)
	}
	return c.Conn.SetReadDeadline(t)
}

// CloseWrite half-closes the connection. net/http looks for it to end a
// connection cleanly (a FIN after its answer, then a pause before closing)
// when it will not read the rest of a request; without it the client can
// get a reset instead of the answer.
func (c *replayConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// handoffListener is the net.Listener the http.Server serves: it yields the
// connections the fast path gives up.
type handoffListener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newHandoffListener(addr net.Addr) *handoffListener {
	return &handoffListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *handoffListener) give(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return l.addr }

var _ net.Listener = (*handoffListener)(nil)
