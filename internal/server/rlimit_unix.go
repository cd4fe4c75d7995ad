//go:build unix

package server

import "syscall"

// defaultConnCap is how many connections a listener keeps open: three
// quarters of the soft RLIMIT_NOFILE, and at least 32 descriptors fewer,
// leaving the rest to the store, upstream fetches, page files
// (sendfile_linux.go) and the operator listener. Go raises the soft limit
// to the hard one at start-up, so this is the hard limit as the process
// was given it.
func defaultConnCap() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<30 /* unlimited */ {
		return 1 << 20
	}
	soft := int(rl.Cur)
	return max(8, min(soft*3/4, soft-32))
}
