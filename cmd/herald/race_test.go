//go:build race

package main

// fullSize: never under the race detector, where every child herald is
// the race-built test binary, several times slower (see norace_test.go).
func fullSize() bool { return false }
