//go:build linux

package server

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Large bodies are kept in a memory-backed file (memfd) as well, so the
// fast path can hand them to the kernel with sendfile(2) instead of
// copying them from user space on every request: measured with
// scripts/bench-serve.sh, copying a 125 KB feed was most of the gap to
// nginx (which uses sendfile) on full 200 responses.

// sendfileMin is the smallest body kept in a file; below it one writev of
// head and body costs less than the extra system calls.
const sendfileMin = 64 << 10

// bodyFile returns a sealed memory-backed file holding b, or nil when b is
// too small to be worth it or the kernel has no memfd (then bodies are
// written from memory).
func bodyFile(b []byte) *os.File {
	if len(b) < sendfileMin {
		return nil
	}
	fd, err := unix.MemfdCreate("herald-page", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil
	}
	f := os.NewFile(uintptr(fd), "herald-page")
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil
	}
	// Sealed, the bytes can no longer change under a response.
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS,
		unix.F_SEAL_SHRINK|unix.F_SEAL_GROW|unix.F_SEAL_WRITE|unix.F_SEAL_SEAL); err != nil {
		f.Close()
		return nil
	}
	return f
}

// rawConn returns c's raw connection for sendBody, or nil when c is not a
// socket (then bodies are written from memory).
func rawConn(c net.Conn) syscall.RawConn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// errFileClosed reports that a body file was closed (its snapshot
// replaced) before sendBody could use it; nothing has been written then.
var errFileClosed = errors.New("body file closed")

// sendBody writes head (the response head, in parts) with MSG_MORE, so it
// leaves in the same packets as the body, then the size bytes of f with
// sendfile. Explicit offsets leave f's own offset alone, so any number of
// responses can share f. It honours c's write deadline.
func sendBody(rc syscall.RawConn, head [][]byte, f *os.File, size int) error {
	frc, err := f.SyscallConn()
	if err != nil {
		return errFileClosed
	}
	var werr, serr error
	// Control holds f open until the response is written, even if a
	// Publish closes it meanwhile.
	cerr := frc.Control(func(src uintptr) {
		var off int64
		werr = rc.Write(func(dst uintptr) bool {
			for len(head) > 0 {
				n, err := unix.SendmsgBuffers(int(dst), head, nil, nil, unix.MSG_MORE)
				switch {
				case err == unix.EAGAIN:
					return false // wait until the socket is writable
				case err == unix.EINTR:
					continue
				case err != nil:
					serr = err
					return true
				}
				head = advance(head, n)
			}
			for off < int64(size) {
				n, err := unix.Sendfile(int(dst), int(src), &off, size-int(off))
				switch {
				case err == unix.EAGAIN:
					return false
				case err == unix.EINTR:
					continue
				case err != nil:
					serr = err
					return true
				case n == 0:
					serr = io.ErrUnexpectedEOF
					return true
				}
			}
			return true
		})
	})
	if cerr != nil {
		return errFileClosed
	}
	if werr != nil {
		return werr
	}
	return serr
}

// advance drops the first n bytes of bufs.
func advance(bufs [][]byte, n int) [][]byte {
	for n > 0 && len(bufs) > 0 {
		if n < len(bufs[0]) {
			bufs[0] = bufs[0][n:]
			return bufs
		}
		n -= len(bufs[0])
		bufs = bufs[1:]
	}
	for len(bufs) > 0 && len(bufs[0]) == 0 {
		bufs = bufs[1:]
	}
	return bufs
}
