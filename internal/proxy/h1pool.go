package proxy

import (
	"bufio"
	"context"
	"net"
	"sync"
	"time"
)

// h1Pool keeps idle keep-alive HTTP/1.1 connections to backends for the
// lean forwarding path (h1.go). A request takes a connection, uses it
// alone on its own goroutine (no reader or writer goroutines, no channel
// hand-offs) and puts it back when the response was read to its end.
type h1Pool struct {
	dialer      *net.Dialer
	maxIdle     int           // per host
	idleTimeout time.Duration // idle connections older than this are closed

	mu    sync.Mutex // guards hosts
	hosts map[string]*hostConns
}

// hostConns are one backend address's idle connections.
type hostConns struct {
	addr string
	pool *h1Pool
	mu   sync.Mutex // guards idle and gone
	idle []*h1Conn  // most recently used last
	gone bool       // the address left the table: close what comes back
}

// h1Conn is one connection to a backend with its buffers.
type h1Conn struct {
	conn   net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	host   *hostConns
	reused bool
	idleAt int64 // unix nanoseconds when it was put back
	// hdr is the last response's header fields, reused across responses.
	hdr []field
	// mu orders cancel against deadline changes; canceled is set by
	// cancel and cleared when the connection is taken for a request.
	mu       sync.Mutex
	canceled bool
	cancelFn func() // pc.cancel, bound once
}

type field struct{ k, v string }

func newH1Pool(dialTimeout time.Duration) *h1Pool {
	return &h1Pool{
		dialer:  &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second},
		maxIdle: 1024, idleTimeout: 90 * time.Second,
		hosts: map[string]*hostConns{},
	}
}

// host returns the connections of addr, creating them on first use.
func (p *h1Pool) host(addr string) *hostConns {
	p.mu.Lock()
	defer p.mu.Unlock()
	hc := p.hosts[addr]
	if hc == nil {
		hc = &hostConns{addr: addr, pool: p}
		p.hosts[addr] = hc
	}
	return hc
}

// retain forgets the addresses not in live and closes their idle
// connections; it runs on the rebuild goroutine after each table.
func (p *h1Pool) retain(live map[string]bool) {
	p.mu.Lock()
	var gone []*hostConns
	for addr, hc := range p.hosts {
		if !live[addr] {
			gone = append(gone, hc)
			delete(p.hosts, addr)
		}
	}
	p.mu.Unlock()
	for _, hc := range gone {
		hc.closeIdle(true, 0)
	}
}

// sweep closes connections idle since before now-idleTimeout, and with
// all true every idle connection (shutdown).
func (p *h1Pool) sweep(now int64, all bool) {
	p.mu.Lock()
	hosts := make([]*hostConns, 0, len(p.hosts))
	for _, hc := range p.hosts {
		hosts = append(hosts, hc)
	}
	p.mu.Unlock()
	before := now - int64(p.idleTimeout)
	if all {
		before = 1<<63 - 1
	}
	for _, hc := range hosts {
		hc.closeIdle(false, before)
	}
}

// closeIdle closes the idle connections put back before the given time
// (all when gone) and, with gone, refuses later ones.
func (hc *hostConns) closeIdle(gone bool, before int64) {
	hc.mu.Lock()
	var closing []*h1Conn
	if gone {
		hc.gone = true
		closing, hc.idle = hc.idle, nil
	} else {
		keep := hc.idle[:0]
		for _, c := range hc.idle {
			if c.idleAt < before {
				closing = append(closing, c)
			} else {
				keep = append(keep, c)
			}
		}
		clear(hc.idle[len(keep):])
		hc.idle = keep
	}
	hc.mu.Unlock()
	for _, c := range closing {
		c.conn.Close()
	}
}

// get returns an idle connection, checked to be still open when it has
// been idle a while, or dials a new one.
func (hc *hostConns) get(ctx context.Context, now int64) (*h1Conn, error) {
	for {
		hc.mu.Lock()
		n := len(hc.idle)
		if n == 0 {
			hc.mu.Unlock()
			break
		}
		c := hc.idle[n-1]
		hc.idle[n-1] = nil
		hc.idle = hc.idle[:n-1]
		hc.mu.Unlock()
		if now-c.idleAt > int64(hc.pool.idleTimeout) || (now-c.idleAt > int64(time.Second) && !stillOpen(c.conn)) {
			c.conn.Close()
			continue
		}
		c.reused = true
		return c, nil
	}
	conn, err := hc.pool.dialer.DialContext(ctx, "tcp", hc.addr)
	if err != nil {
		return nil, err
	}
	pc := &h1Conn{conn: conn, br: bufio.NewReaderSize(conn, 8<<10), bw: bufio.NewWriterSize(conn, 4<<10), host: hc}
	pc.cancelFn = pc.cancel
	return pc, nil
}

// put makes c available again, or closes it when the host is gone or
// has enough idle connections.
func (hc *hostConns) put(c *h1Conn, now int64) {
	c.idleAt = now
	hc.mu.Lock()
	if hc.gone || len(hc.idle) >= hc.pool.maxIdle {
		hc.mu.Unlock()
		c.conn.Close()
		return
	}
	hc.idle = append(hc.idle, c)
	hc.mu.Unlock()
}
