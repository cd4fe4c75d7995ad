// Package sources holds what every source of articles shares: the Source
// interface with its State and Result values, the HTTP Fetcher (validators
// in, validators out; it remembers nothing per URL) with the collection
// cycle of web sources (Poll) and full-text extraction, the charset rule
// (ToUTF8), date parsing, and the sentinel errors. One kind of source
// lives in each subpackage: local (a folder of files), upstream (RSS,
// Atom and JSON feeds) and webpage (HTML pages read with CSS selectors).
//
// Sources import package feed and nothing under internal/; subpackages
// import feed and sources, never each other, except extract: the one
// article-extraction pipeline, which imports feed only and which sources
// (full text) and every collector use.
package sources
