//go:build !linux

package proxy

import "net"

// stillOpen cannot peek without blocking here; a closed connection is
// caught when its request fails and is retried (see h1.go).
func stillOpen(net.Conn) bool { return true }
