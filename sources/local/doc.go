// Package local is the source of type files: articles read from a folder
// of .txt, Markdown and HTML files, with end-of-article boilerplate
// (trailers) cut.
//
// It imports feed and sources only.
package local
