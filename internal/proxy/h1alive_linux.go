package proxy

import (
	"net"
	"syscall"
)

// stillOpen peeks at an idle backend connection without blocking: a
// connection the backend closed (EOF) or that has unexpected bytes waiting
// must not carry the next request.
func stillOpen(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	open := true
	var b [1]byte
	err = rc.Read(func(fd uintptr) bool {
		// EAGAIN: nothing to read, still open; 0 bytes: EOF; 1: stray data.
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		open = err == syscall.EAGAIN
		return true
	})
	return err == nil && open
}
