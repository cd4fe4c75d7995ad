//go:build !unix

package site

import "os"

// flock is a no-op where flock(2) does not exist: Herald's supported
// platforms are unix; elsewhere two runs must not share a folder.
func flock(*os.File) error { return nil }
