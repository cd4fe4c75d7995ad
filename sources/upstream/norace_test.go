//go:build !race

package upstream

// raceSlowdown scales the generous time bounds of tests under the race
// detector, which makes parsing about ten times slower.
const raceSlowdown = 1
