package httpkit

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Dialect names whose headers and wait syntax a blocking query uses.
type Dialect string

// The two dialects orbit speaks.
const (
	// Consul: X-Consul-Index…; ?wait takes a duration with a unit ("10s").
	Consul Dialect = "Consul"
	// Nomad: X-Nomad-Index…; ?wait takes a duration or plain seconds.
	Nomad Dialect = "Nomad"
)

// Blocking-query limits, as Consul's and Nomad's.
const (
	DefaultWait = 5 * time.Minute
	MaxWait     = 10 * time.Minute
)

// Query is a blocking query's parameters: with Index > 0 the read waits
// until its state passes Index or Wait ends.
type Query struct {
	Index uint64
	Wait  time.Duration
}

// ParseQuery reads ?index= and ?wait= in d's syntax. Wait defaults to
// DefaultWait and is capped at maxWait (0 means MaxWait). Bad values are a
// 400 naming the parameter.
func ParseQuery(r *http.Request, d Dialect, maxWait time.Duration) (Query, error) {
	if maxWait <= 0 {
		maxWait = MaxWait
	}
	q := r.URL.Query()
	o := Query{Wait: DefaultWait}
	if s := q.Get("index"); s != "" {
		i, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return o, BadRequest("invalid index %q: must be a non-negative integer", s)
		}
		o.Index = i
	}
	if s := q.Get("wait"); s != "" {
		w, err := d.parseWait(s)
		if err != nil {
			return o, err
		}
		o.Wait = w
	}
	o.Wait = min(o.Wait, maxWait)
	return o, nil
}

func (d Dialect) parseWait(s string) (time.Duration, error) {
	if d == Nomad {
		if n, err := strconv.ParseUint(s, 10, 32); err == nil {
			return time.Duration(n) * time.Second, nil
		}
	}
	w, err := time.ParseDuration(s)
	if err != nil || w < 0 {
		return 0, BadRequest("invalid wait %q: use a duration such as \"10s\" or \"5m\"", s)
	}
	return w, nil
}

// Waiter waits until the watched state's index passes index or ctx ends.
type Waiter func(ctx context.Context, index uint64)

// Block runs the wait of a blocking query: with q.Index set it calls wait
// until the state passes q.Index or q.Wait, plus up to 1/16 of it as
// jitter (so many watchers do not return together), ends on the kit's
// clock. It returns ctx's error when the client went away (no answer is
// due), nil otherwise; the caller then reads the index and answers.
func (k *Kit) Block(ctx context.Context, q Query, wait Waiter) error {
	if q.Index == 0 {
		return ctx.Err()
	}
	d := q.Wait
	if d > 0 {
		d += time.Duration(rand.Int64N(int64(d)/16 + 1))
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	t := k.clock().AfterFunc(d, cancel)
	defer t.Stop()
	wait(wctx, q.Index)
	return ctx.Err()
}

// Meta is a read's query metadata.
type Meta struct {
	// Index is the state's index (sent as at least 1: clients treat 0 as
	// "no blocking").
	Index uint64
	// KnownLeader reports whether the cluster has a leader.
	KnownLeader bool
	// LastContact is how stale the answer may be.
	LastContact time.Duration
}

// SetMeta sets d's Index, KnownLeader and LastContact headers.
func SetMeta(w http.ResponseWriter, d Dialect, m Meta) {
	h := w.Header()
	p := "X-" + string(d) + "-"
	h.Set(p+"Index", strconv.FormatUint(max(m.Index, 1), 10))
	h.Set(p+"KnownLeader", strconv.FormatBool(m.KnownLeader))
	h.Set(p+"LastContact", strconv.FormatInt(m.LastContact.Milliseconds(), 10))
}
