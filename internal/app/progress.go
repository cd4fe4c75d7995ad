package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/heraldfeed/herald/internal/collect"
)

// Progress is generate's status line on a terminal: stderr, where the
// log lines go too, so each log line first clears the status line and
// then redraws it below. Not on a terminal there is no status line, only
// the log's "collected" line per source.
type Progress struct {
	mu   sync.Mutex
	w    io.Writer
	line string
}

const clearLine = "\r\033[K"

// NewProgress returns the status line drawn on w, or nil when w is not a
// terminal that can redraw a line. The log is to be written through it.
func NewProgress(w io.Writer) *Progress {
	if !isTerminal(w) {
		return nil
	}
	return &Progress{w: w}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (p *Progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.line != "" {
		io.WriteString(p.w, clearLine)
	}
	n, err := p.w.Write(b)
	if p.line != "" {
		io.WriteString(p.w, p.line)
	}
	return n, err
}

func (p *Progress) set(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.line = line
	io.WriteString(p.w, clearLine+line)
}

func (p *Progress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.line != "" {
		io.WriteString(p.w, clearLine)
	}
	p.line = ""
}

// track redraws the status line from col's status until the returned
// stop is called; a nil p tracks nothing.
func (p *Progress) track(col *collect.Collector, every time.Duration) (stop func()) {
	if p == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			p.set(progressLine(col.Status()))
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done; p.clear() }
}

// progressLine says how far a collection is: sources finished out of all,
// and the articles the finished ones read.
func progressLine(st []collect.Status) string {
	done, articles := 0, 0
	for _, s := range st {
		if !s.LastRun.IsZero() && !s.Running {
			done++
			articles += s.Items
		}
	}
	return fmt.Sprintf("collecting: %d/%d sources done, %d articles read", done, len(st), articles)
}
