// Package local is the source of type files: articles read from a folder
// of .txt, Markdown and HTML files, with end-of-article boilerplate
// (trailers) cut.
//
// It imports feed, sources and sources/extract only.
package local
