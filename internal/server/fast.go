package server

import (
	"bytes"
	"net"
	"net/http"
	"sync"
	"time"
)

// The fast path answers the requests feed readers send all day — a plain
// HTTP/1.1 GET or HEAD of a published page, with or without validators —
// straight from the precomputed bytes: one read, one parse over the
// buffer, one writev of head and body. Everything else (another method,
// /healthz, /metrics, an unknown path, a body, Expect, Upgrade,
// Connection, HTTP/1.0, anything the strict parser below does not
// recognise) hands the connection, with the bytes already read, to the
// http.Server, which keeps it from then on. The fast path never answers
// what net/http would answer differently: a differential test sends the
// same requests to both.
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
	acceptEncoding []string
	ifNoneMatch    []string
	ifModSince     []string
}

// parseFast parses one request head at the start of buf. It returns the
// head's length, or 0 when buf does not hold a whole head yet, and ok
// false when the request is not one the fast path serves.
func parseFast(buf []byte, r *fastRequest) (n int, ok bool) {
	// A bare LF ends lines for net/http too; such a client is its to serve.
	for i, c := range buf {
		if c == '\n' && (i == 0 || buf[i-1] != '\r') {
			return 0, false
		}
	}
	end := bytes.Index(buf, []byte("\r\n\r\n"))
	if end < 0 {
		return 0, len(buf) < maxFastHead
	}
	n = end + 4
	line, rest, _ := bytes.Cut(buf[:end+2], []byte("\r\n"))
	*r = fastRequest{acceptEncoding: r.acceptEncoding[:0], ifNoneMatch: r.ifNoneMatch[:0], ifModSince: r.ifModSince[:0]}
	switch {
	case bytes.HasPrefix(line, []byte("GET /")):
		line = line[5:]
	case bytes.HasPrefix(line, []byte("HEAD /")):
		r.head, line = true, line[6:]
	default:
		return n, false
	}
	target, ok := bytes.CutSuffix(line, []byte(" HTTP/1.1"))
	if !ok {
		return n, false
	}
	path, _, _ := bytes.Cut(target, []byte("?"))
	for _, c := range path {
		// Percent-encoding, spaces and controls are net/http's to decode
		// or refuse.
		if c <= ' ' || c == '%' || c >= 0x7f || c == '#' {
			return n, false
		}
	}
	r.path = path
	host := false
	for len(rest) > 0 {
		var field []byte
		field, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, value, ok := bytes.Cut(field, []byte(":"))
		if !ok || !validFieldName(name) || !validFieldValue(value) {
			// Obsolete line folding, a malformed field: net/http answers
			// those (with 400), so the fast path must not.
			return n, false
		}
		value = bytes.Trim(value, " \t")
		switch {
		case asciiEqualFold(name, "host"):
			if host {
				return n, false
			}
			host = true
		case asciiEqualFold(name, "accept-encoding"):
			r.acceptEncoding = append(r.acceptEncoding, string(value))
		case asciiEqualFold(name, "if-none-match"):
			r.ifNoneMatch = append(r.ifNoneMatch, string(value))
		case asciiEqualFold(name, "if-modified-since"):
			r.ifModSince = append(r.ifModSince, string(value))
		case asciiEqualFold(name, "content-length"):
			if string(value) != "0" {
				return n, false
			}
		case asciiEqualFold(name, "connection"):
			if !asciiEqualFold(value, "keep-alive") {
				return n, false
			}
		case asciiEqualFold(name, "transfer-encoding"), asciiEqualFold(name, "expect"),
			asciiEqualFold(name, "upgrade"), asciiEqualFold(name, "http2-settings"):
			return n, false
		}
	}
	// HTTP/1.1 requires Host; net/http answers its absence with 400.
	return n, host
}

// validFieldName reports whether b is an RFC 9110 token, as net/http
// requires of a header name.
func validFieldName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c >= 0x80 || !tokenChar[c] {
			return false
		}
	}
	return true
}

// validFieldValue reports whether b has no control characters but tab, as
// net/http requires of a header value.
func validFieldValue(b []byte) bool {
	for _, c := range b {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

var tokenChar = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

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
	var req fastRequest
	bufs := make(net.Buffers, 0, 3)
	for {
		// Wait for a request: idle timeout before its first byte, then
		// the header timeout.
		// The header timeout runs from a request's first byte and is not
		// renewed by later ones, so a client trickling bytes cannot hold
		// the connection.
		started := len(buf) > 0
		if started {
			c.SetReadDeadline(time.Now().Add(s.timeouts.readHeader))
		} else {
			c.SetReadDeadline(time.Now().Add(s.timeouts.idle))
		}
		n, ok := parseFast(buf, &req)
		for ok && n == 0 {
			if len(buf) == cap(buf) {
				buf = append(buf, 0)[:len(buf)]
			}
			m, err := c.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+m]
			if err != nil {
				c.Close()
				return
			}
			if !started && m > 0 {
				started = true
				c.SetReadDeadline(time.Now().Add(s.timeouts.readHeader))
			}
			n, ok = parseFast(buf, &req)
		}
		snap := s.snap.Load()
		var e *entry
		if ok && snap != nil {
			if len(req.path) == 0 {
				e = snap.pages["index.html"]
			} else {
				e = snap.pages[string(req.path)] // converted in place, no allocation
			}
		}
		date := s.dateLine.Load()
		if e == nil || date == nil {
			c.SetReadDeadline(time.Time{})
			handoff.give(&replayConn{Conn: c, pending: buf})
			return
		}
		if fc.setBusy(c, true) {
			c.Close()
			return
		}
		gz := 0
		if e.gz != nil && acceptsGzip(req.acceptEncoding) {
			gz = 1
		}
		notModified := e.notModified(req.ifNoneMatch, req.ifModSince)
		code, body := http.StatusOK, e.body
		if gz == 1 {
			body = e.gz
		}
		nm := 0
		if notModified {
			code, body, nm = http.StatusNotModified, nil, 1
		}
		if req.head {
			body = nil
		}
		bufs = append(bufs[:0], e.heads[gz][nm], *date, body)
		c.SetWriteDeadline(time.Now().Add(s.timeouts.write))
		_, err := bufs.WriteTo(c)
		s.metrics.inc(code)
		if fc.setBusy(c, false) || err != nil {
			c.Close()
			return
		}
		// Keep what follows this request (pipelining) for the next turn.
		buf = buf[:copy(buf, buf[n:])]
	}
}

// replayConn is a connection handed to net/http with the bytes the fast
// path had already read from it.
type replayConn struct {
	net.Conn
	pending []byte
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(p)
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
