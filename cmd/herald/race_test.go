//go:build race

package main

// raceBuild: under the race detector every child herald is the race-built
// test binary, several times slower; the full crash matrix runs in
// .ci/run's step without it.
const raceBuild = true
