// Package extract is Herald's one article-extraction pipeline: the main
// content of a web page as clean HTML, with the metadata the page
// declares, for saved .html files, full text and page items alike; and
// the boilerplate rules (trailers, widgets, tracking images) applied to
// every source's content.
//
// It imports feed only: package sources and its collectors import it.
package extract
