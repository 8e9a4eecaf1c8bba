package cli

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
)

// parseAddresses splits a --address or ORBIT_ADDR value listing one or
// more agents ("host:port" or URLs, comma-separated) into base URLs.
func parseAddresses(s string) ([]*url.URL, error) {
	var out []*url.URL
	for _, a := range strings.Split(s, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if !strings.Contains(a, "://") {
			a = "http://" + a
		}
		u, err := url.Parse(strings.TrimRight(a, "/"))
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("agent address %q: want host:port or http(s)://host:port", a)
		}
		out = append(out, u)
	}
	if len(out) == 0 {
		return nil, errors.New("no agent address given")
	}
	return out, nil
}

// failover sends each request to one of several agents: the one that last
// answered, else the next in turn. A request moves on only when it could
// not connect (nothing was sent, so a write is never sent twice), or, for
// a read, on any transport error.
type failover struct {
	addrs []*url.URL
	next  http.RoundTripper
	cur   atomic.Int32 // index into addrs of the agent that last answered
}

var _ http.RoundTripper = (*failover)(nil)

func newFailover(addrs []*url.URL, next http.RoundTripper) *failover {
	if next == nil {
		next = http.DefaultTransport
	}
	return &failover{addrs: addrs, next: next}
}

// RoundTrip implements http.RoundTripper: req names the first address;
// each attempt goes to another.
func (f *failover) RoundTrip(req *http.Request) (*http.Response, error) {
	start := int(f.cur.Load())
	var errs []error
	for i := range f.addrs {
		n := (start + i) % len(f.addrs)
		r, err := f.to(req, f.addrs[n], i > 0)
		if err != nil {
			return nil, err
		}
		resp, err := f.next.RoundTrip(r)
		if err == nil {
			f.cur.Store(int32(n))
			return resp, nil
		}
		errs = append(errs, err)
		if !retryable(req, err) || req.Context().Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// to is req addressed to base (with a fresh body when it is sent again).
func (f *failover) to(req *http.Request, base *url.URL, again bool) (*http.Request, error) {
	r := req.Clone(req.Context())
	r.URL.Scheme, r.URL.Host = base.Scheme, base.Host
	r.URL.Path = base.Path + strings.TrimPrefix(req.URL.Path, f.addrs[0].Path)
	r.Host = ""
	if again && req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return nil, fmt.Errorf("%s %s: the request body cannot be sent to another agent", req.Method, req.URL.Path)
		}
		b, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		r.Body = b
	}
	return r, nil
}

// retryable: a connection that was never made, or a read.
func retryable(req *http.Request, err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return req.Method == http.MethodGet || req.Method == http.MethodHead
}
