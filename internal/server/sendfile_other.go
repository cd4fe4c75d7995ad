//go:build !linux

package server

import (
	"errors"
	"net"
	"os"
	"syscall"
)

// Without memfd and sendfile (Linux only here), bodies are written from
// memory; see sendfile_linux.go.

func bodyFile([]byte) *os.File { return nil }

func rawConn(net.Conn) syscall.RawConn { return nil }

var errFileClosed = errors.New("body file closed")

func sendBody(syscall.RawConn, [][]byte, *os.File, int) error { return errFileClosed }
