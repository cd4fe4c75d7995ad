package local

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Bounds on parsing one local file (README: Bounds on what Herald reads).
// Anyone who can write an article could otherwise stall collection and
// shutdown: goldmark takes time squared on some inputs (1 MB of "[a]("
// took 273 s, 1 MB of ">" 239 s and 456 MB).
const (
	// maxMarkupSize caps a Markdown or HTML file, in bytes; text files
	// have maxFileSize. Articles are a few KiB to a few hundred.
	maxMarkupSize = 2 << 20
	// maxParseTime caps the parse of one Markdown or HTML file. A
	// large real article parses in tens of milliseconds.
	maxParseTime = 2 * time.Second
	// maxMarkdownDepth caps how deeply Markdown blocks nest (block
	// quotes, lists). Each level costs goldmark a scan of the line, and
	// the depth carries over to the rendered HTML.
	maxMarkdownDepth = 100
)

// ErrBound is the error of a file skipped for going over a bound: too
// large, too slow to parse, or nested too deeply. Collect reports such a
// file with one warning and goes on.
var ErrBound = errors.New("over a bound on local files")

// parseTime is maxParseTime; tests shorten it.
var parseTime = maxParseTime

// guard stops a parse when its context is done: on cancellation
// (shutdown) or after parseTime. The parsers check it often, between
// steps that each take at most a scan of the input, and stop by
// panicking with abort, which readMarkdown recovers. Abandoning a
// goroutine instead would leave it burning a core for minutes.
type guard struct {
	parent  context.Context
	ctx     context.Context
	stopped atomic.Bool
	cancel  func()
}

func newGuard(ctx context.Context) *guard {
	g := &guard{parent: ctx}
	var cancel context.CancelFunc
	g.ctx, cancel = context.WithTimeout(ctx, parseTime)
	stop := context.AfterFunc(g.ctx, func() { g.stopped.Store(true) })
	g.cancel = func() { stop(); cancel() }
	return g
}

// release frees the guard's timer.
func (g *guard) release() { g.cancel() }

// err is why the parse was stopped, or nil: the caller's context's error
// (cancelled), or an ErrBound naming the time bound.
func (g *guard) err() error {
	if !g.stopped.Load() {
		return nil
	}
	if err := g.parent.Err(); err != nil {
		return err
	}
	return fmt.Errorf("parsing took over %v: %w", parseTime, ErrBound)
}

// abort is the panic value that stops a goldmark parse.
type abort struct{ err error }

// check stops the parse when the guard says so.
func (g *guard) check() {
	if err := g.err(); err != nil {
		panic(abort{err})
	}
}

var guardKey = parser.NewContextKey()

// guardContext returns a goldmark parser context carrying g.
func guardContext(g *guard) parser.Context {
	pc := parser.NewContext()
	pc.Set(guardKey, g)
	return pc
}

// parseMarkdown parses src under g.
func parseMarkdown(src []byte, g *guard) ast.Node {
	return markdownParser.Parser().Parse(text.NewReader(src), parser.WithContext(guardContext(g)))
}

func contextGuard(pc parser.Context) *guard {
	g, _ := pc.Get(guardKey).(*guard)
	return g
}

// guardBlockParser is a block parser tried before all others on every
// line and at every level of nesting, opening nothing: it checks the
// guard, and the depth of the open blocks.
type guardBlockParser struct{}

// allBytes triggers guardBlockParser on whatever a line starts with.
var allBytes = func() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}()

func (guardBlockParser) Trigger() []byte { return allBytes }

func (guardBlockParser) Open(_ ast.Node, _ text.Reader, pc parser.Context) (ast.Node, parser.State) {
	if g := contextGuard(pc); g != nil {
		g.check()
		if len(pc.OpenedBlocks()) > maxMarkdownDepth {
			panic(abort{fmt.Errorf("blocks nested deeper than %d: %w", maxMarkdownDepth, ErrBound)})
		}
	}
	return nil, parser.NoChildren
}

func (guardBlockParser) Continue(ast.Node, text.Reader, parser.Context) parser.State {
	return parser.Close
}
func (guardBlockParser) Close(ast.Node, text.Reader, parser.Context) {}
func (guardBlockParser) CanInterruptParagraph() bool                 { return true }
func (guardBlockParser) CanAcceptIndentedLine() bool                 { return true }

// guardInlineParser is an inline parser tried before the others on each
// of their trigger characters (and only those, so text is split as
// before): it parses nothing and checks the guard. Between two of its
// calls goldmark does at most one scan of the paragraph, the step that
// made "[a](" quadratic.
type guardInlineParser struct{}

func (guardInlineParser) Trigger() []byte { return []byte("`[]!<*_~") }

func (guardInlineParser) Parse(_ ast.Node, _ text.Reader, pc parser.Context) ast.Node {
	if g := contextGuard(pc); g != nil {
		g.check()
	}
	return nil
}

// guardPriority runs the guards before every other parser: goldmark
// tries the lowest values first (its own start at 100).
const guardPriority = -1

var guardParsers = parser.WithBlockParsers(util.Prioritized(guardBlockParser{}, guardPriority))
var guardInlineParsers = parser.WithInlineParsers(util.Prioritized(guardInlineParser{}, guardPriority))
