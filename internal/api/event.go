package api

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

// User events (/v1/event/fire/:name, /v1/event/list). Consul gossips them
// with Serf and every agent keeps the last 256 it received; orbit keeps the
// last 256 of the cluster in etcd, and each agent lists those its node,
// services and tags match, as if delivered to it.

const (
	familyEvents = "events"
	// maxEvents is how many events are kept, Consul's per-agent buffer.
	maxEvents = 256
	// maxEventSize is Serf's default limit of a user event's name and
	// payload together.
	maxEventSize = 512
)

// eventJSON is Consul's UserEvent.
type eventJSON struct {
	ID            string
	Name          string
	Payload       []byte
	NodeFilter    string
	ServiceFilter string
	TagFilter     string
	Version       int
	LTime         uint64
}

func (s *Server) eventRoutes() {
	s.handle("PUT /v1/event/fire/{name}", s.eventFire)
	s.handle("GET /v1/event/list", s.eventList)
}

// eventIndex is the index of the list whose last event is id: its UUID's
// halves xored, as consul/api's Event.IDToIndex computes it.
func eventIndex(id string) uint64 {
	if len(id) != 36 {
		return 0
	}
	lower, _ := strconv.ParseUint(id[0:8]+id[9:13]+id[14:18], 16, 64)
	upper, _ := strconv.ParseUint(id[19:23]+id[24:36], 16, 64)
	return lower ^ upper
}

func newUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate event id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// validate is Consul's check of an event before it is fired: a name, and
// filters that are regular expressions (a tag filter only with a service
// filter).
func (e *eventJSON) validate() error {
	if e.Name == "" {
		return httpkit.BadRequest("User event missing name")
	}
	if e.TagFilter != "" && e.ServiceFilter == "" {
		return httpkit.BadRequest("Cannot provide tag filter without service filter")
	}
	for what, re := range map[string]string{"node": e.NodeFilter, "service": e.ServiceFilter, "tag": e.TagFilter} {
		if _, err := regexp.Compile(re); err != nil {
			return httpkit.BadRequest("Invalid %s filter: %v", what, err)
		}
	}
	if n := len(e.Name) + len(e.Payload); n > maxEventSize {
		return httpkit.Errorf(http.StatusRequestEntityTooLarge, "user event exceeds configured limit of %d bytes before encoding (%d bytes)", maxEventSize, n)
	}
	return nil
}

func (s *Server) eventFire(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	e := &eventJSON{Name: r.PathValue("name"), NodeFilter: q.Get("node"), ServiceFilter: q.Get("service"),
		TagFilter: q.Get("tag"), Version: 1}
	if err := s.authorize(r, acl.Rule{Resource: acl.Event, Segment: e.Name, Access: acl.Write}); err != nil {
		return err
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, maxEventSize+1))
	if err != nil {
		return httpkit.BadRequest("read payload: %v", err)
	}
	if len(payload) > 0 {
		e.Payload = payload
	}
	if err := e.validate(); err != nil {
		return err
	}
	if e.ID, err = newUUID(); err != nil {
		return err
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode event %q: %w", e.Name, err)
	}
	// Keys sort in firing order: the clock's nanoseconds, then the ID.
	key := store.FamilyKey(familyEvents, fmt.Sprintf("%020d-%s", s.clock.Now().UnixNano(), e.ID))
	ops := []store.Op{store.Put(key, b)}
	old, _, err := s.store.List(r.Context(), store.FamilyKey(familyEvents, ""))
	if err != nil {
		return err
	}
	for i := 0; i < len(old)-(maxEvents-1); i++ {
		ops = append(ops, store.Del(old[i].Key)) // the oldest make room
	}
	_, rev, err := s.store.Txn(r.Context(), nil, ops)
	if err != nil {
		return fmt.Errorf("fire event %q: %w", e.Name, err)
	}
	if err := s.waitWrite(r.Context(), rev); err != nil {
		return err
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, e)
}

// eventList answers the events delivered to this agent, oldest first,
// with ?name=; blocking on the last event's index as Consul does.
func (s *Server) eventList(w http.ResponseWriter, r *http.Request) error {
	o, err := parseQueryOpts(r)
	if err != nil {
		return err
	}
	name := r.URL.Query().Get("name")
	list := func(ctx context.Context) ([]*eventJSON, error) {
		kvs, _, err := s.store.List(ctx, store.FamilyKey(familyEvents, ""))
		if err != nil {
			return nil, err
		}
		out := make([]*eventJSON, 0, len(kvs))
		for _, kv := range kvs {
			var e eventJSON
			if err := json.Unmarshal(kv.Value, &e); err != nil {
				s.log.Error("skip undecodable event", "key", kv.Key, "err", err)
				continue
			}
			e.LTime = uint64(kv.CreateRevision)
			if (name == "" || e.Name == name) && s.eventDelivered(&e) {
				out = append(out, &e)
			}
		}
		return out, nil
	}
	last := func(es []*eventJSON) uint64 {
		if len(es) == 0 {
			return 0
		}
		return eventIndex(es[len(es)-1].ID)
	}
	var events []*eventJSON
	var lerr error
	res := view.FamilyRes(familyEvents)
	wait := func(ctx context.Context, index uint64) {
		for {
			rev := s.view.Index(res)
			if events, lerr = list(ctx); lerr != nil || last(events) != index {
				return
			}
			s.view.Wait(ctx, res, rev)
			if ctx.Err() != nil {
				return
			}
		}
	}
	if s.kit.Block(r.Context(), o.Query, wait) != nil {
		return nil // the client left
	}
	if o.Query.Index == 0 || events == nil {
		events, lerr = list(r.Context())
	}
	if lerr != nil {
		return lerr
	}
	f := s.aclFilter(w, r)
	out := make([]*eventJSON, 0, len(events))
	for _, e := range events {
		if f.allows(acl.Rule{Resource: acl.Event, Segment: e.Name, Access: acl.Read}) {
			out = append(out, e)
		}
	}
	if f.err != nil {
		return f.err
	}
	s.setMeta(w, r.Context(), last(events))
	return httpkit.WriteJSON(w, r, http.StatusOK, out)
}

// eventDelivered reports whether this agent receives e: its node matches
// the node filter, and one of its services (with one of its tags) the
// service and tag filters. Filters are unanchored regular expressions,
// validated when the event was fired.
func (s *Server) eventDelivered(e *eventJSON) bool {
	match := func(re, v string) bool {
		ok, err := regexp.MatchString(re, v)
		return err == nil && ok
	}
	if e.NodeFilter != "" && !match(e.NodeFilter, s.cfg.NodeName) {
		return false
	}
	if e.ServiceFilter == "" {
		return true
	}
	for _, in := range s.view.NodeInstances(s.cfg.NodeName) {
		if !match(e.ServiceFilter, in.Name) && !match(e.ServiceFilter, in.ID) {
			continue
		}
		if e.TagFilter == "" {
			return true
		}
		for _, t := range in.Tags {
			if match(e.TagFilter, t) {
				return true
			}
		}
	}
	return false
}
