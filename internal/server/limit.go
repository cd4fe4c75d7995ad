package server

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Every listener Serve and ServeAdmin take is wrapped in a limitListener,
// which does for the fast path, the net/http hand-off and the operator
// listener alike what a long-running server needs of accept:
//
//   - Temporary accept errors, running out of file descriptors (EMFILE,
//     ENFILE) above all, are retried after a pause (5 ms doubling to 1 s,
//     as net/http does) instead of ending Serve, and logged at most once a
//     minute.
//   - Open connections are capped (connCap, derived from RLIMIT_NOFILE),
//     leaving descriptors for the store, upstream fetches and page files.
//     At the cap, and when accept runs out of descriptors, the connections
//     idle longest between keep-alive requests are closed to admit new
//     ones: a reader polling now matters more than one that may poll again
//     within the idle timeout. Only when none is idle does accept wait for
//     a connection to end; the kernel's backlog holds the newcomers.

// limitListener wraps a net.Listener with the retries and the cap above.
type limitListener struct {
	net.Listener
	max int
	log *slog.Logger

	mu    sync.Mutex
	conns map[*trackedConn]struct{}
	// freed wakes an Accept waiting at the cap when a connection ends or
	// goes idle; waiting says whether one waits, so the hot path only
	// signals when it matters.
	freed   chan struct{}
	waiting atomic.Bool
	done    chan struct{}
	once    sync.Once
	idleSeq atomic.Int64 // orders connections by when they went idle

	logMu   sync.Mutex
	lastLog time.Time
	quiet   int // messages not logged since lastLog
}

func newLimitListener(ln net.Listener, maxConns int, log *slog.Logger) *limitListener {
	return &limitListener{
		Listener: ln, max: max(1, maxConns), log: log,
		conns: map[*trackedConn]struct{}{},
		freed: make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
}

// Accept returns the next connection once there is room for it. It
// returns an error only when the listener is closed or fails for good.
func (l *limitListener) Accept() (net.Conn, error) {
	pause := time.Duration(0)
	for {
		if err := l.room(); err != nil {
			return nil, err
		}
		c, err := l.Listener.Accept()
		if err == nil {
			return l.track(c), nil
		}
		if !temporary(err) {
			return nil, err
		}
		if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
			// A descriptor of an idle connection is one a new one can
			// have.
			l.evictIdle()
		}
		pause = min(max(2*pause, 5*time.Millisecond), time.Second)
		l.rarely("accepting connections: retrying", "error", err, "pause", pause)
		select {
		case <-time.After(pause):
		case <-l.done:
			return nil, net.ErrClosed
		}
	}
}

// temporary reports whether an accept error passes: a timeout, a
// connection reset before it was accepted, or a shortage of descriptors
// or memory.
func temporary(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED, syscall.ECONNRESET, syscall.EINTR} {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}

// room waits until a connection may be accepted, closing idle ones at
// the cap.
func (l *limitListener) room() error {
	for {
		l.mu.Lock()
		n := len(l.conns)
		l.mu.Unlock()
		if n < l.max {
			return nil
		}
		if l.evictIdle() {
			l.rarely("connection cap reached: closing the longest-idle connections", "max", l.max)
			continue
		}
		l.waiting.Store(true)
		// A connection may have ended or gone idle since the checks
		// above, before wake could see waiting.
		l.mu.Lock()
		n = len(l.conns)
		l.mu.Unlock()
		if n < l.max || l.evictIdle() {
			l.waiting.Store(false)
			continue
		}
		select {
		case <-l.freed:
		case <-l.done:
			l.waiting.Store(false)
			return net.ErrClosed
		}
		l.waiting.Store(false)
	}
}

// evictIdle closes the connection idle longest, if any, and reports
// whether it did.
func (l *limitListener) evictIdle() bool {
	l.mu.Lock()
	var oldest *trackedConn
	var since int64
	for c := range l.conns {
		if s := c.idle.Load(); s > 0 && (oldest == nil || s < since) {
			oldest, since = c, s
		}
	}
	l.mu.Unlock()
	if oldest == nil {
		return false
	}
	oldest.Close()
	return true
}

func (l *limitListener) track(c net.Conn) *trackedConn {
	tc := &trackedConn{Conn: c, l: l}
	l.mu.Lock()
	l.conns[tc] = struct{}{}
	l.mu.Unlock()
	return tc
}

func (l *limitListener) wake() {
	if l.waiting.Load() {
		select {
		case l.freed <- struct{}{}:
		default:
		}
	}
}

// rarely logs msg at most once a minute, saying how many it left out.
func (l *limitListener) rarely(msg string, args ...any) {
	l.logMu.Lock()
	defer l.logMu.Unlock()
	if now := time.Now(); now.Sub(l.lastLog) >= time.Minute {
		l.log.Warn(msg, append(args, "not_logged", l.quiet)...)
		l.lastLog, l.quiet = now, 0
		return
	}
	l.quiet++
}

func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// trackedConn is a connection counted by its limitListener until closed.
type trackedConn struct {
	net.Conn
	l *limitListener
	// idle is 0 while the connection has a request under way (or has
	// not finished its first), else the order in which it went idle
	// between keep-alive requests.
	idle atomic.Int64
	once sync.Once
}

// setIdle marks c idle between requests (true) or busy.
func (c *trackedConn) setIdle(idle bool) {
	if !idle {
		c.idle.Store(0)
		return
	}
	c.idle.Store(c.l.idleSeq.Add(1))
	c.l.wake()
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
		c.l.wake()
	})
	return err
}

// SyscallConn gives the fast path the socket for sendfile.
func (c *trackedConn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	return sc.SyscallConn()
}

// CloseWrite passes on the half-close net/http ends connections with
// (see replayConn.CloseWrite).
func (c *trackedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// connState is the http.Server's ConnState hook: it tells the
// limitListener which of net/http's connections are idle.
func connState(c net.Conn, st http.ConnState) {
	if rc, ok := c.(*replayConn); ok {
		c = rc.Conn
	}
	tc, ok := c.(*trackedConn)
	if !ok {
		return
	}
	switch st {
	case http.StateIdle:
		tc.setIdle(true)
	case http.StateActive:
		tc.setIdle(false)
	}
}
