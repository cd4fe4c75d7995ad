// Package upstream is the source of type feed: the items of an upstream
// RSS, Atom or JSON Feed document, fetched through sources.Fetcher.
//
// It imports feed and sources only.
package upstream
