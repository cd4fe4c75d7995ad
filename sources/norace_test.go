//go:build !race

package sources

// raceBuild: memory measured under the race detector is the detector's.
const raceBuild = false
