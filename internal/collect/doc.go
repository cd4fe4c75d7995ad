// Package collect runs Herald's sources: it passes each source the state
// its previous collection returned, keeps the next state and the last good
// articles (normalized) in a Store, and reports each source's status and
// metrics. What is published from those articles is package site's job.
//
// It imports feed and sources; it knows nothing of configuration files,
// rendering or HTTP.
package collect
