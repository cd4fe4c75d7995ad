//go:build !unix

package server

// defaultConnCap: without RLIMIT_NOFILE, a cap far above what a feed
// server meets, which still bounds memory.
func defaultConnCap() int { return 1 << 16 }
