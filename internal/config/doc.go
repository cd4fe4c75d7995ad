// Package config owns Herald's YAML configuration: the schema as plain
// structs, strict decoding, defaults, and Validate with messages that name
// the file, line, column and key path of every problem
// ("config.yaml:12:5: sources[1].schedul: unknown key").
//
// Optional values follow one rule here and in every package a Config
// feeds: zero (an absent key, or 0) is the default, and -1 turns a limit
// or a retry off (keep: -1 keeps all, retries: -1 retries nothing). Load
// applies the configuration's own defaults, and the values are handed to
// the packages as they are, with no translation on the way.
//
// It imports no other Herald package except internal/scheduler, whose
// Parse is the one definition of a valid schedule, and feed, whose
// ParseHTTPURL is the one definition of a web URL. The wiring in
// internal/app turns a Config into sources, feeds and servers, so the schema
// can change without touching collectors, and collectors never read
// configuration.
package config
