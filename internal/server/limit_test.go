package server

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestLimitListenerEvictsIdleFirst: at the cap, Accept closes the
// connection idle longest and no busy one; with none idle it waits until
// one ends or goes idle.
func TestLimitListenerEvictsIdleFirst(t *testing.T) {
	t.Parallel() // waits out timeouts, idle: beside the other such tests
	for _, tc := range []struct {
		name    string
		idle    []int // indexes of accepted connections marked idle, in order
		closed  int   // index closed by the client's side instead (-1: none)
		later   int   // index marked idle while Accept waits (-1: none)
		evicted int   // index Accept must close (-1: none)
	}{
		{name: "longest idle goes", idle: []int{1, 0, 2}, closed: -1, later: -1, evicted: 1},
		{name: "only idle goes", idle: []int{2}, closed: -1, later: -1, evicted: 2},
		{name: "none idle: waits for one to go idle", closed: -1, later: 0, evicted: 0},
		{name: "none idle: waits for one to end", closed: 1, later: -1, evicted: -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			l := newLimitListener(raw, 3, slog.New(slog.DiscardHandler))
			defer l.Close()
			var clients []net.Conn
			var served []*trackedConn
			dial := func() net.Conn {
				c, err := net.Dial("tcp", raw.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { c.Close() })
				clients = append(clients, c)
				return c
			}
			for range 3 {
				dial()
				c, err := l.Accept()
				if err != nil {
					t.Fatal(err)
				}
				served = append(served, c.(*trackedConn))
			}
			for _, i := range tc.idle {
				served[i].setIdle(true)
			}
			dial()
			accepted := make(chan error, 1)
			go func() {
				c, err := l.Accept()
				if err == nil {
					defer c.Close()
				}
				accepted <- err
			}()
			if tc.later >= 0 {
				served[tc.later].setIdle(true)
			}
			if tc.closed >= 0 {
				served[tc.closed].Close()
			}
			if err := <-accepted; err != nil {
				t.Fatalf("Accept: %v", err)
			}
			for i, c := range clients[:3] {
				if i == tc.closed {
					continue
				}
				// A closed connection reads EOF at once; an open one times out.
				c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
				_, err := c.Read(make([]byte, 1))
				gone := err == io.EOF
				if want := i == tc.evicted; gone != want {
					t.Errorf("connection %d closed: %v (%v), want %v", i, gone, err, want)
				}
			}
		})
	}
}

// TestConnState: net/http's idle and active states reach the
// limitListener, for its own connections and those the fast path handed
// over (wrapped in a replayConn).
func TestConnState(t *testing.T) {
	l := newLimitListener(nil, 1, slog.New(slog.DiscardHandler))
	for _, wrap := range []struct {
		name string
		f    func(*trackedConn) net.Conn
	}{
		{"net/http's own", func(c *trackedConn) net.Conn { return c }},
		{"handed over", func(c *trackedConn) net.Conn { return &replayConn{Conn: c} }},
	} {
		t.Run(wrap.name, func(t *testing.T) {
			tc := &trackedConn{l: l}
			c := wrap.f(tc)
			for _, step := range []struct {
				st   http.ConnState
				idle bool
			}{
				{http.StateNew, false},
				{http.StateActive, false},
				{http.StateIdle, true},
				{http.StateActive, false},
				{http.StateIdle, true},
			} {
				connState(c, step.st)
				if idle := tc.idle.Load() > 0; idle != step.idle {
					t.Errorf("after %v: idle %v, want %v", step.st, idle, step.idle)
				}
			}
		})
	}
}
