// Package config owns Herald's YAML configuration: the schema as plain
// structs, strict decoding, defaults, and Validate with messages that name
// the file, line, column and key path of every problem
// ("config.yaml:12:5: sources[1].schedul: unknown key").
//
// It imports no other Herald package except internal/scheduler, whose
// Parse is the one definition of a valid schedule, and feed, whose
// ParseHTTPURL is the one definition of a web URL. The wiring in
// cmd/herald turns a Config into sources, feeds and servers, so the schema
// can change without touching collectors, and collectors never read
// configuration.
package config
