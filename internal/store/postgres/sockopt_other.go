//go:build !linux

package postgres

import (
	"syscall"
	"time"
)

// setUserTimeout does nothing where TCP_USER_TIMEOUT does not exist: the
// keepalives alone bound an idle connection's silence.
func setUserTimeout(syscall.RawConn, time.Duration) error { return nil }
