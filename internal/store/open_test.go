package store

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"
)

// A port taken by someone else is reported as EADDRINUSE, which is what
// Open looks for to pick other ports when it picked the taken one itself.
func TestOpenReportsATakenPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Open(ctx, Config{DataDir: t.TempDir(), ClientAddr: l.Addr().String()})
	if err == nil {
		s.Close()
		t.Fatal("opened on a taken port")
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("error %v is not EADDRINUSE", err)
	}
}
