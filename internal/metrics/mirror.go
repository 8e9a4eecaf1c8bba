package metrics

import (
	"compress/flate"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/metrics/tsdb"
)

const (
	// maxMirrorCharts bounds what one child may define on its parent.
	maxMirrorCharts = 20000
	// streamIdle is how long a parent waits for a child's next frame
	// (children send one every interval, a heartbeat at least every 5s).
	streamIdle = 30 * time.Second
	// maxSkew is how far in the future a child's row may be.
	maxSkew = time.Minute
)

// mirror is what a parent holds of one child: its own store, sized as
// the parent's.
type mirror struct {
	name string
	db   *tsdb.DB

	mu        sync.Mutex // guards the fields below
	stream    uint64     // the stream now writing (0: none)
	connected time.Time  // when it attached
	lastFrame time.Time
	charts    map[string]bool // charts defined, bounded by maxMirrorCharts
}

// mirrors are a parent's children by name.
type mirrors struct {
	cfg tsdb.Config

	mu    sync.Mutex // guards hosts and next
	hosts map[string]*mirror
	next  uint64 // the last stream id handed out
}

func (ms *mirrors) get(name string) *mirror {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.hosts[name]
}

// attach returns the child's mirror, made on first contact, and a stream
// id that replaces any older stream of the same child.
func (ms *mirrors) attach(name string, now time.Time) (*mirror, uint64, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	m := ms.hosts[name]
	if m == nil {
		db, err := tsdb.New(ms.cfg)
		if err != nil {
			return nil, 0, err
		}
		m = &mirror{name: name, db: db, charts: map[string]bool{}}
		ms.hosts[name] = m
	}
	ms.next++
	m.mu.Lock()
	m.stream, m.connected, m.lastFrame = ms.next, now, now
	m.mu.Unlock()
	return m, ms.next, nil
}

// list returns the children, by name.
func (ms *mirrors) list() []*mirror {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	out := make([]*mirror, 0, len(ms.hosts))
	for _, m := range ms.hosts {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// prune drops the charts of every child not updated since before, and the
// children left with none and no stream.
func (ms *mirrors) prune(before int64) {
	for _, m := range ms.list() {
		gone := m.db.Prune(before)
		m.mu.Lock()
		for _, id := range gone {
			delete(m.charts, id)
		}
		empty := len(m.charts) == 0 && m.stream == 0
		m.mu.Unlock()
		if empty {
			ms.mu.Lock()
			if ms.hosts[m.name] == m {
				delete(ms.hosts, m.name)
			}
			ms.mu.Unlock()
		}
	}
}

// streaming reports whether a stream is attached.
func (m *mirror) streaming() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stream != 0
}

// current reports whether stream id is still the child's stream.
func (m *mirror) current(id uint64, now time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stream != id {
		return false
	}
	m.lastFrame = now
	return true
}

func (m *mirror) detach(id uint64) {
	m.mu.Lock()
	if m.stream == id {
		m.stream = 0
	}
	m.mu.Unlock()
}

// apply stores one frame; rows of unknown charts, with the wrong number
// of values or too far in the future are dropped and counted.
func (m *mirror) apply(f *frame, now time.Time) (dropped int, err error) {
	for _, c := range f.Charts {
		m.mu.Lock()
		full := !m.charts[c.ID] && len(m.charts) >= maxMirrorCharts
		m.mu.Unlock()
		if full {
			return dropped, fmt.Errorf("host %s: more than %d charts", m.name, maxMirrorCharts)
		}
		if err := m.db.Define(c); err != nil {
			return dropped, fmt.Errorf("host %s: %w", m.name, err)
		}
		m.mu.Lock()
		m.charts[c.ID] = true
		m.mu.Unlock()
	}
	limit := now.Add(maxSkew).Unix()
	for _, r := range f.Rows {
		if r.T > limit || m.db.Append(r.Chart, r.T, r.V, r.A) != nil {
			dropped++
		}
	}
	return dropped, nil
}

// state is what the parent holds of the child: each chart's newest second.
func (m *mirror) state() streamState {
	st := streamState{Host: m.name, Charts: map[string]int64{}}
	for _, in := range m.db.Charts() {
		st.Charts[in.ID] = in.Last
	}
	return st
}

// StreamHandler serves StreamPath, the parent's end of parent-child
// streaming (the caller guards it: GET reads, POST writes the agent
// resource).
func (s *Server) StreamHandler(kit *httpkit.Kit) http.Handler {
	mux := httpkit.NewMux()
	mux.Handle("GET "+StreamPath, kit.Handle(s.streamState))
	mux.Handle("POST "+StreamPath, kit.Handle(s.streamIn))
	return mux
}

func (s *Server) streamHost(r *http.Request) (string, error) {
	host := r.URL.Query().Get("host")
	if err := checkHost(host); err != nil {
		return "", httpkit.BadRequest("%s", err.Error())
	}
	if host == s.cfg.Hostname {
		return "", httpkit.Errorf(http.StatusConflict, "host %q is this agent's own name: a child must have another node name", host)
	}
	return host, nil
}

func (s *Server) streamState(w http.ResponseWriter, r *http.Request) error {
	host, err := s.streamHost(r)
	if err != nil {
		return err
	}
	st := streamState{Host: host, Charts: map[string]int64{}}
	if m := s.children.get(host); m != nil {
		st = m.state()
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, st)
}

// streamIn takes a child's stream until it ends, a newer stream of the
// same child replaces it, the child falls silent or the agent stops.
func (s *Server) streamIn(w http.ResponseWriter, r *http.Request) error {
	host, err := s.streamHost(r)
	if err != nil {
		return err
	}
	m, id, err := s.children.attach(host, s.clock.Now())
	if err != nil {
		return err
	}
	defer m.detach(id)
	s.log.Info("child streaming", "host", host, "remote", r.RemoteAddr)
	rc := http.NewResponseController(w)
	// Agent shutdown unblocks the read at once.
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-s.stopped:
			_ = rc.SetReadDeadline(time.Unix(1, 0))
		case <-done:
		}
	}()
	defer wg.Wait()
	defer close(done)

	dec := gob.NewDecoder(flate.NewReader(r.Body))
	frames, dropped := 0, 0
	for {
		_ = rc.SetReadDeadline(time.Now().Add(streamIdle))
		var f frame
		err := dec.Decode(&f)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			s.log.Info("child stream ended", "host", host, "frames", frames, "dropped_rows", dropped)
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		if err != nil {
			select {
			case <-s.stopped:
				return httpkit.Errorf(http.StatusServiceUnavailable, "the agent is stopping")
			default:
			}
			s.log.Info("child stream broken", "host", host, "frames", frames, "err", err)
			return httpkit.BadRequest("stream of %s, frame %d: %s", host, frames+1, err.Error())
		}
		now := s.clock.Now()
		if !m.current(id, now) {
			return httpkit.Errorf(http.StatusConflict, "host %s: a newer stream replaced this one", host)
		}
		n, err := m.apply(&f, now)
		if err != nil {
			return httpkit.Errorf(http.StatusRequestEntityTooLarge, "%s", err.Error())
		}
		frames++
		dropped += n
	}
}
