package metrics

import (
	"compress/flate"
	"context"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/metrics/tsdb"
)

const (
	// maxQueued bounds the live rows waiting for the stream; past it the
	// streamer catches up from the store instead.
	maxQueued = 50000
	// maxFrameRows bounds one frame while replicating.
	maxFrameRows = 4096
	// heartbeat is the longest a stream stays silent.
	heartbeat = 5 * time.Second
	// maxBackoff is the longest wait between two connection attempts
	// (Netdata reconnects every 5s).
	maxBackoff = 5 * time.Second
)

// pending is a live row and the chart it belongs to.
type pending struct {
	chart tsdb.Chart
	sig   string
	row   row
}

// streamer sends this agent's samples to its parent: on each connection
// it asks what the parent holds, replicates what is missing from the
// store (the per-second tier: an hour by default), then sends each
// collected row as it comes.
type streamer struct {
	url, host, token string
	db               *tsdb.DB
	clock            clockwork.Clock
	log              *slog.Logger
	client           *http.Client
	keep             time.Duration // the per-second tier's retention

	wake chan struct{} // a collection ended

	mu       sync.Mutex // guards the fields below
	active   bool       // a stream is open: queue live rows
	queue    []pending
	overflow bool // rows were dropped from queue: catch up from the store
	status   StreamStatus
}

// StreamStatus is how the stream to the parent fares.
type StreamStatus struct {
	Parent    string
	Connected bool
	Since     time.Time // of the current or last connection
	Err       string    // why the last connection ended
	Replayed  int64     // rows replicated over every connection
}

func newStreamer(parent, host, token string, db *tsdb.DB, clock clockwork.Clock, log *slog.Logger) (*streamer, error) {
	u := parent
	if !strings.Contains(u, "://") {
		u = "http://" + u
	}
	pu, err := url.Parse(u)
	if err != nil || pu.Host == "" {
		return nil, fmt.Errorf("metrics parent %q: want host:port or a URL", parent)
	}
	pu.Path, pu.RawQuery = StreamPath, url.Values{"host": {host}}.Encode()
	return &streamer{url: pu.String(), host: host, token: token, db: db, clock: clock, log: log,
		client: &http.Client{}, keep: db.Config().Seconds, wake: make(chan struct{}, 1),
		status: StreamStatus{Parent: parent}}, nil
}

// push queues a collected row while a stream is open.
func (st *streamer) push(c tsdb.Chart, sig string, t int64, values []float64, bits []bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.active || st.overflow {
		return
	}
	if len(st.queue) >= maxQueued {
		st.queue, st.overflow = nil, true
		return
	}
	r := row{Chart: c.ID, T: t, V: append([]float64(nil), values...)}
	if anyTrue(bits) {
		r.A = append([]bool(nil), bits...)
	}
	st.queue = append(st.queue, pending{chart: c, sig: sig, row: r})
}

// collected wakes the sender after a collection.
func (st *streamer) collected() {
	select {
	case st.wake <- struct{}{}:
	default:
	}
}

func (st *streamer) take() ([]pending, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	q, o := st.queue, st.overflow
	st.queue, st.overflow = nil, false
	return q, o
}

func (st *streamer) setActive(on bool, err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.active, st.queue, st.overflow = on, nil, false
	st.status.Connected = on
	if on {
		st.status.Since, st.status.Err = st.clock.Now(), ""
	} else if err != nil {
		st.status.Err = err.Error()
	}
}

func (st *streamer) Status() StreamStatus {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.status
}

// run streams until ctx ends, reconnecting after a failure.
func (st *streamer) run(ctx context.Context) {
	wait := time.Second
	for ctx.Err() == nil {
		began := st.clock.Now()
		err := st.session(ctx)
		if ctx.Err() != nil {
			return
		}
		st.log.Warn("metrics stream to the parent ended; reconnecting", "parent", st.status.Parent, "err", err, "in", wait)
		if st.clock.Since(began) > time.Minute {
			wait = time.Second
		}
		select {
		case <-ctx.Done():
			return
		case <-st.clock.After(wait):
		}
		wait = min(2*wait, maxBackoff)
	}
}

// parentState asks the parent what it holds of this host.
func (st *streamer) parentState(ctx context.Context) (map[string]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, st.url, nil)
	if err != nil {
		return nil, err
	}
	st.authorize(req)
	resp, err := st.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("parent answered %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	var s streamState
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return nil, fmt.Errorf("parent state: %w", err)
	}
	return s.Charts, nil
}

func (st *streamer) authorize(req *http.Request) {
	if st.token != "" {
		req.Header.Set("X-Consul-Token", st.token)
	}
}

// session is one connection: replication, then live rows until the
// parent or ctx ends it.
func (st *streamer) session(ctx context.Context) (err error) {
	have, err := st.parentState(ctx)
	if err != nil {
		return err
	}
	// Queue live rows from here on: what the store holds now is
	// replicated below, what comes after is in the queue.
	st.setActive(true, nil)
	defer func() { st.setActive(false, err) }()

	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(sctx, http.MethodPost, st.url, pr)
	if err != nil {
		return err
	}
	st.authorize(req)
	req.Header.Set("Content-Type", "application/x-orbit-metrics-stream")
	posted := make(chan error, 1)
	go func() { posted <- st.post(req, pr) }()
	defer func() {
		pw.CloseWithError(err)
		cancel()
		if perr := <-posted; perr != nil && err == nil {
			err = perr
		}
	}()

	zw, err := flate.NewWriter(pw, flate.BestSpeed)
	if err != nil {
		return err
	}
	out := &frameWriter{zw: zw, enc: gob.NewEncoder(zw), sent: map[string]int64{}, sigs: map[string]string{}}
	n, err := out.catchUp(st.db, have, st.clock.Now().Add(-st.keep).Unix())
	st.mu.Lock()
	st.status.Replayed += n
	st.mu.Unlock()
	if err != nil {
		return err
	}
	st.log.Info("streaming metrics to the parent", "parent", st.status.Parent, "replicated_rows", n)
	beat := st.clock.NewTicker(heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case perr := <-posted:
			posted <- perr // the deferred wait reads it again
			if perr == nil {
				perr = fmt.Errorf("parent closed the stream")
			}
			return perr
		case <-st.wake:
		case <-beat.Chan():
		}
		q, overflow := st.take()
		if overflow {
			if _, err := out.catchUp(st.db, out.sent, 0); err != nil {
				return err
			}
		}
		for _, p := range q {
			out.add(p)
		}
		if err := out.flush(); err != nil {
			return err
		}
	}
}

// post sends the stream and reads the parent's answer.
func (st *streamer) post(req *http.Request, body *io.PipeReader) error {
	resp, err := st.client.Do(req)
	if err != nil {
		body.CloseWithError(err)
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	body.CloseWithError(io.ErrClosedPipe)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("parent answered %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	return nil
}

// frameWriter builds and sends frames, remembering per chart the newest
// second sent and the dimensions the parent knows.
type frameWriter struct {
	zw   *flate.Writer
	enc  *gob.Encoder
	f    frame
	sent map[string]int64  // chart → newest second sent
	sigs map[string]string // chart → signature the parent has
}

func (w *frameWriter) define(c tsdb.Chart, sig string) {
	if w.sigs[c.ID] != sig {
		w.f.Charts = append(w.f.Charts, c)
		w.sigs[c.ID] = sig
	}
}

func (w *frameWriter) add(p pending) {
	if p.row.T <= w.sent[p.chart.ID] {
		return
	}
	w.define(p.chart, p.sig)
	w.f.Rows = append(w.f.Rows, p.row)
	w.sent[p.chart.ID] = p.row.T
}

func (w *frameWriter) flush() error {
	err := w.enc.Encode(&w.f)
	if err == nil {
		err = w.zw.Flush()
	}
	w.f.Charts, w.f.Rows = w.f.Charts[:0], w.f.Rows[:0]
	if err != nil {
		return fmt.Errorf("send to the parent: %w", err)
	}
	return nil
}

// catchUp sends every chart's rows after have[chart] (and not before
// floor) from the store, and returns how many.
func (w *frameWriter) catchUp(db *tsdb.DB, have map[string]int64, floor int64) (int64, error) {
	var n int64
	var ferr error
	for _, in := range db.Charts() {
		from := max(have[in.ID]+1, floor, w.sent[in.ID]+1)
		w.define(in.Chart, signature(in.Chart))
		err := db.Raw(in.ID, from, in.Last, func(t int64, values []float64, bits []bool) {
			if ferr != nil {
				return
			}
			r := row{Chart: in.ID, T: t, V: append([]float64(nil), values...)}
			if anyTrue(bits) {
				r.A = append([]bool(nil), bits...)
			}
			w.f.Rows = append(w.f.Rows, r)
			w.sent[in.ID] = t
			n++
			if len(w.f.Rows) >= maxFrameRows {
				ferr = w.flush()
			}
		})
		if ferr != nil {
			return n, ferr
		}
		if err != nil {
			continue // the chart went away meanwhile
		}
	}
	return n, w.flush()
}
