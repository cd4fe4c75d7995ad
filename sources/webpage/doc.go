// Package webpage is the source of type page: the items of an HTML page,
// found with CSS selectors, fetched through sources.Fetcher.
//
// It imports feed and sources only.
package webpage
