package health

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/orbit/orbit/internal/catalog"
)

// prober runs one check once and classifies the result. ctx carries the
// check's timeout.
type prober interface {
	probe(ctx context.Context) (catalog.Status, string)
}

// httpProbe is an http check: 2xx passing, 429 warning, anything else (and
// any error) critical; the output is Consul's
// "HTTP <method> <url>: <status> Output: <body tail>".
type httpProbe struct {
	client *http.Client
	bufs   *sync.Pool // of *[]byte scratch buffers for reading bodies
	method string
	url    string
	header http.Header // read-only after construction
	host   string
	body   string
	max    int
}

func newHTTPProbe(ts *transports, d *catalog.CheckDefinition, max int) *httpProbe {
	p := &httpProbe{client: ts.client(d), bufs: &ts.bufs, method: d.Method, url: d.HTTP, body: d.Body, max: max, header: http.Header{}}
	if p.method == "" {
		p.method = http.MethodGet
	}
	for k, vs := range d.Header {
		for _, v := range vs {
			p.header.Add(k, v)
		}
	}
	p.host = p.header.Get("Host")
	if p.header.Get("User-Agent") == "" {
		p.header.Set("User-Agent", UserAgent)
	}
	if p.header.Get("Accept") == "" {
		p.header.Set("Accept", "text/plain, text/*, */*")
	}
	return p
}

func (p *httpProbe) probe(ctx context.Context) (catalog.Status, string) {
	var body io.Reader
	if p.body != "" {
		body = strings.NewReader(p.body)
	}
	req, err := http.NewRequestWithContext(ctx, p.method, p.url, body)
	if err != nil {
		return catalog.Critical, err.Error()
	}
	req.Header = p.header
	if p.host != "" {
		req.Host = p.host
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return catalog.Critical, err.Error()
	}
	defer resp.Body.Close()
	tail := newTail(p.max)
	buf := p.bufs.Get().(*[]byte)
	// A body cut short still reports the status that arrived, as Consul.
	_, _ = io.CopyBuffer(tail, resp.Body, *buf)
	p.bufs.Put(buf)
	out := fmt.Sprintf("HTTP %s %s: %s Output: %s", p.method, p.url, resp.Status, tail.bytes())
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode <= 299:
		return catalog.Passing, out
	case resp.StatusCode == http.StatusTooManyRequests:
		return catalog.Warning, out
	}
	return catalog.Critical, out
}

// tcpProbe is a tcp check: passing when a connection opens.
type tcpProbe struct{ addr string }

func (p tcpProbe) probe(ctx context.Context) (catalog.Status, string) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return catalog.Critical, err.Error()
	}
	conn.Close()
	return catalog.Passing, fmt.Sprintf("TCP connect %s: Success", p.addr)
}

// grpcProbe is a grpc check: the standard health protocol's Check on
// "host:port[/service]", passing when the answer is SERVING.
type grpcProbe struct {
	target  string
	server  string
	service string
	creds   credentials.TransportCredentials
}

func newGRPCProbe(d *catalog.CheckDefinition) *grpcProbe {
	server, service, _ := strings.Cut(d.GRPC, "/")
	p := &grpcProbe{target: d.GRPC, server: server, service: service, creds: insecure.NewCredentials()}
	if d.GRPCUseTLS {
		p.creds = credentials.NewTLS(&tls.Config{InsecureSkipVerify: d.TLSSkipVerify, ServerName: d.TLSServerName})
	}
	return p
}

func (p *grpcProbe) probe(ctx context.Context) (catalog.Status, string) {
	// passthrough: the address is dialled as given, without a resolver.
	conn, err := grpc.NewClient("passthrough:///"+p.server, grpc.WithTransportCredentials(p.creds))
	if err != nil {
		return catalog.Critical, err.Error()
	}
	defer conn.Close()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: p.service})
	if err != nil {
		return catalog.Critical, err.Error()
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return catalog.Critical, fmt.Sprintf("gRPC %s serving status: %s", p.target, resp.GetStatus())
	}
	return catalog.Passing, fmt.Sprintf("gRPC check %s: success", p.target)
}

// scriptProbe runs Args: exit 0 passing, 1 warning, anything else critical;
// the output is the tail of stdout and stderr together.
type scriptProbe struct {
	args    []string
	timeout time.Duration
	max     int
}

func (p scriptProbe) probe(ctx context.Context) (catalog.Status, string) {
	cmd := exec.CommandContext(ctx, p.args[0], p.args[1:]...)
	out := newTail(p.max)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = time.Second
	// Kill the whole process group on timeout, as Consul kills the subtree.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	err := cmd.Run()
	text := out.text()
	if ctx.Err() != nil {
		msg := fmt.Sprintf("Timed out (%s) running check", p.timeout)
		if text != "" {
			msg += "\n\n" + text
		}
		return catalog.Critical, msg
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return catalog.Passing, text
	case errors.As(err, &exitErr) && exitErr.ExitCode() == 1:
		return catalog.Warning, text
	case errors.As(err, &exitErr):
		return catalog.Critical, text
	}
	return catalog.Critical, err.Error()
}

// tail keeps the last max bytes written to it, as Consul's circular output
// buffer does, and counts all of them. It is safe for concurrent writes
// (a script's stdout and stderr).
type tail struct {
	mu    sync.Mutex
	max   int
	buf   []byte
	total int64
}

func newTail(max int) *tail { return &tail{max: max} }

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total += int64(len(p))
	if len(p) >= t.max {
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		return len(p), nil
	}
	if over := len(t.buf) + len(p) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, p...)
	return len(p), nil
}

func (t *tail) bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf
}

// text is the kept output, prefixed as Consul does when some was dropped.
func (t *tail) text() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.total > int64(len(t.buf)) {
		return fmt.Sprintf("Captured %d of %d bytes\n...\n%s", len(t.buf), t.total, t.buf)
	}
	return string(t.buf)
}

// truncateOutput cuts a TTL update's output as Consul's CheckTTL.SetStatus.
func truncateOutput(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return fmt.Sprintf("%s ... (captured %d of %d bytes)", s[:max], max, len(s))
}

// transports hands out one keep-alive HTTP client per TLS setting, shared
// by every http check with that setting.
type transports struct {
	maxPerHost int
	bufs       sync.Pool  // scratch buffers for reading response bodies
	mu         sync.Mutex // guards clients
	clients    map[tlsKey]*http.Client
}

type tlsKey struct {
	skipVerify bool
	serverName string
}

func newTransports(maxPerHost int) *transports {
	ts := &transports{maxPerHost: maxPerHost, clients: map[tlsKey]*http.Client{}}
	ts.bufs.New = func() any { b := make([]byte, 4096); return &b }
	return ts
}

func (ts *transports) client(d *catalog.CheckDefinition) *http.Client {
	key := tlsKey{d.TLSSkipVerify, d.TLSServerName}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if c, ok := ts.clients[key]; ok {
		return c
	}
	dialer := &net.Dialer{KeepAlive: 30 * time.Second}
	c := &http.Client{Transport: &http.Transport{
		DialContext:       dialer.DialContext,
		ForceAttemptHTTP2: true,
		// Every worker may hold a connection to the same host; beyond a
		// thousand idle connections in all, the least recently used close.
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: ts.maxPerHost,
		IdleConnTimeout:     30 * time.Second,
		TLSHandshakeTimeout: DefaultTimeout,
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: key.skipVerify, ServerName: key.serverName},
	}}
	ts.clients[key] = c
	return c
}

// close drops every idle connection.
func (ts *transports) close() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, c := range ts.clients {
		c.CloseIdleConnections()
	}
}
