// Package sources collects articles for Herald: from a folder of files
// (files.go), from upstream RSS, Atom and JSON feeds (feed.go), and from web
// pages read with CSS selectors (page.go), over one shared, polite HTTP
// layer (fetch.go).
//
// Sources import package feed and nothing under internal/.
package sources
