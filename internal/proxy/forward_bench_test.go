package proxy

import (
	"bufio"
	"bytes"
	"net"
	"strconv"
	"testing"

	"github.com/orbit/orbit/internal/catalog"
)

// fixedBackend answers every request on every connection with one fixed
// 200 response, parsing only up to the blank line, so a benchmark's
// allocations are the proxy's.
func fixedBackend(tb testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nServer: raw\r\nContent-Length: 13\r\n\r\nhello, world\n")
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					for {
						line, err := br.ReadSlice('\n')
						if err != nil {
							return
						}
						if len(line) <= 2 {
							break
						}
					}
					if _, err := c.Write(resp); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// BenchmarkForwardPlain measures one plain GET through the real entry
// point, lean path and pooled backend connection over loopback, from a
// raw keep-alive client. Its allocs/op are the proxy's per request:
//
//	go test -run '^$' -bench ForwardPlain -benchmem ./internal/proxy/
func BenchmarkForwardPlain(b *testing.B) {
	e := startEdge(b, Config{}, nil)
	e.register("bench", "bench-1", fixedBackend(b), catalog.Passing, "traefik.http.routers.bench.rule=Host(`bench.test`)")
	e.waitFor(e.client(), "http://bench.test/", 200)
	c, err := net.Dial("tcp", e.addr("web"))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	req := []byte("GET /index.html HTTP/1.1\r\nHost: bench.test\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")
	br := bufio.NewReader(c)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		n := -1
		for first := true; ; first = false {
			line, err := br.ReadSlice('\n')
			if err != nil {
				b.Fatal(err)
			}
			if first && !bytes.HasPrefix(line, []byte("HTTP/1.1 200")) {
				b.Fatalf("status line %q", line)
			}
			if len(line) <= 2 {
				break
			}
			if k, v, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
				n, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
			}
		}
		if _, err := br.Discard(n); err != nil {
			b.Fatal(err)
		}
	}
}
