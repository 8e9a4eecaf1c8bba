package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

// sessionRequest is the body of PUT /v1/session/create. Every field is
// optional; LockDelay is a duration string or a number (catalog.ParseLockDelay).
type sessionRequest struct {
	Name          string
	Node          string
	LockDelay     json.RawMessage
	Behavior      string
	TTL           string
	Checks        []string
	NodeChecks    []string
	ServiceChecks []catalog.ServiceCheck
}

// sessionJSON is Consul's session entry.
type sessionJSON struct {
	ID            string
	Name          string
	Node          string
	LockDelay     time.Duration
	Behavior      string
	TTL           string
	NodeChecks    []string
	ServiceChecks []catalog.ServiceCheck
	Checks        []string
	CreateIndex   uint64
	ModifyIndex   uint64
}

func toSessionJSON(se *catalog.Session) *sessionJSON {
	out := &sessionJSON{ID: se.ID, Name: se.Name, Node: se.Node, LockDelay: se.LockDelay,
		Behavior: se.Behavior, TTL: se.TTL, NodeChecks: se.NodeChecks, ServiceChecks: se.ServiceChecks,
		CreateIndex: se.CreateIndex, ModifyIndex: se.ModifyIndex}
	if out.NodeChecks == nil {
		out.NodeChecks = []string{}
	}
	if out.ServiceChecks == nil {
		out.ServiceChecks = []catalog.ServiceCheck{}
	}
	out.Checks = append([]string{}, se.NodeChecks...)
	for _, c := range se.ServiceChecks {
		out.Checks = append(out.Checks, c.ID)
	}
	return out
}

// buildSession turns a create request into a session for node defaultNode:
// the defaults (agent's node, serfHealth, 15s lock delay, release) and the
// validation of TTL, behaviour and lock delay, as Consul.
func buildSession(req sessionRequest, id, defaultNode string, ttlMin time.Duration) (*catalog.Session, error) {
	se := &catalog.Session{ID: id, Name: req.Name, Node: req.Node, TTL: req.TTL}
	if se.Node == "" {
		se.Node = defaultNode
	}
	var err error
	if se.Behavior, err = catalog.ParseBehavior(req.Behavior); err != nil {
		return nil, err
	}
	if se.LockDelay, err = catalog.ParseLockDelay(req.LockDelay); err != nil {
		return nil, err
	}
	ttl, err := catalog.ParseSessionTTL(req.TTL, ttlMin)
	if err != nil {
		return nil, err
	}
	if ttl == 0 {
		se.TTL = ""
	}
	// Checks is the older name of NodeChecks; with neither given (nil, not
	// empty) the session is bound to the node's serfHealth.
	se.NodeChecks = req.NodeChecks
	if se.NodeChecks == nil {
		se.NodeChecks = req.Checks
	}
	if se.NodeChecks == nil && req.ServiceChecks == nil {
		se.NodeChecks = []string{catalog.SerfCheckID}
	}
	se.ServiceChecks = req.ServiceChecks
	return se, se.Validate()
}

func (s *Server) sessionCreate(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkDC(r); err != nil {
		return err
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return httpkit.BadRequest("read request body: %v", err)
	}
	var req sessionRequest
	if len(strings.TrimSpace(string(data))) > 0 {
		if err := json.Unmarshal(data, &req); err != nil {
			return httpkit.BadRequest("Request decode failed: %v", err)
		}
	}
	se, err := buildSession(req, uuid.NewString(), s.cfg.NodeName, s.cfg.SessionTTLMin)
	if err != nil {
		return httpkit.BadRequest("%v", err)
	}
	if err := s.authorize(r, acl.Rule{Resource: acl.Session, Segment: se.Node, Access: acl.Write}); err != nil {
		return err
	}
	lease, err := s.sessionChecks(r, se)
	if err != nil {
		return err
	}
	rev, err := s.store.CreateSession(r.Context(), se, lease)
	if err != nil {
		return err
	}
	if err := s.waitWrite(r.Context(), rev); err != nil {
		return err
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, struct{ ID string }{se.ID})
}

// sessionChecks checks that the session's node is registered and its
// checks exist and are not critical, as Consul does at creation. It returns
// the lease a session without TTL is bound to: its node agent's, when
// serfHealth is among its checks (so the session ends with the node).
func (s *Server) sessionChecks(r *http.Request, se *catalog.Session) (int64, error) {
	if _, ok := s.view.Node(se.Node); !ok {
		return 0, httpkit.BadRequest("Missing node registration: node %q is not in the catalog", se.Node)
	}
	for _, id := range se.NodeChecks {
		if id == catalog.SerfCheckID {
			continue
		}
		if err := checkUsable(s.view, se.Node, id); err != nil {
			return 0, err
		}
	}
	for _, c := range se.ServiceChecks {
		if err := checkUsable(s.view, se.Node, c.ID); err != nil {
			return 0, err
		}
	}
	if se.TTL != "" || !slices.Contains(se.NodeChecks, catalog.SerfCheckID) {
		return 0, nil
	}
	return s.store.NodeLease(r.Context(), se.Node)
}

func checkUsable(v Reader, node, id string) error {
	c, ok := v.Check(node, id)
	if !ok {
		return httpkit.BadRequest("Missing check %q registration on node %q", id, node)
	}
	if c.Status == catalog.Critical {
		return httpkit.BadRequest("Check %q is in critical state", id)
	}
	return nil
}

func (s *Server) sessionDestroy(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkDC(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	se, err := s.store.Session(r.Context(), id)
	if errors.Is(err, store.ErrSessionNotFound) {
		return httpkit.WriteJSON(w, r, http.StatusOK, true) // Consul: destroying a gone session succeeds
	} else if err != nil {
		return err
	}
	if err := s.authorize(r, acl.Rule{Resource: acl.Session, Segment: se.Node, Access: acl.Write}); err != nil {
		return err
	}
	rev, err := s.store.DestroySession(r.Context(), id, s.clock.Now())
	if err != nil {
		return err
	}
	if err := s.waitWrite(r.Context(), rev); err != nil {
		return err
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, true)
}

func (s *Server) sessionRenew(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkDC(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	se, err := s.store.Session(r.Context(), id)
	if errors.Is(err, store.ErrSessionNotFound) {
		return fmt.Errorf("%w: Session id '%s' not found", httpkit.ErrNotFound, id)
	} else if err != nil {
		return err
	}
	if err := s.authorize(r, acl.Rule{Resource: acl.Session, Segment: se.Node, Access: acl.Write}); err != nil {
		return err
	}
	se, err = s.store.RenewSession(r.Context(), id)
	if errors.Is(err, store.ErrSessionNotFound) {
		return fmt.Errorf("%w: Session id '%s' not found", httpkit.ErrNotFound, id)
	} else if err != nil {
		return err
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, []*sessionJSON{toSessionJSON(se)})
}

// sessionsRead answers the session reads: every session that keep accepts,
// as a blocking query over the sessions family.
func (s *Server) sessionsRead(w http.ResponseWriter, r *http.Request, rule acl.Rule, keep func(*catalog.Session) bool) error {
	if err := s.authorize(r, rule); err != nil {
		return err
	}
	return s.blocking(w, r, view.FamilyRes(store.FamilySessions), func() (any, error) {
		all, err := s.store.Sessions(r.Context())
		if err != nil {
			return nil, err
		}
		out := []*sessionJSON{}
		for _, se := range all {
			if keep(se) {
				out = append(out, toSessionJSON(se))
			}
		}
		return out, nil
	})
}

func (s *Server) sessionInfo(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	return s.sessionsRead(w, r, acl.Rule{Resource: acl.Session, Access: acl.Read},
		func(se *catalog.Session) bool { return se.ID == id })
}

func (s *Server) sessionNode(w http.ResponseWriter, r *http.Request) error {
	node := r.PathValue("node")
	return s.sessionsRead(w, r, acl.Rule{Resource: acl.Session, Segment: node, Access: acl.Read},
		func(se *catalog.Session) bool { return se.Node == node })
}

func (s *Server) sessionList(w http.ResponseWriter, r *http.Request) error {
	return s.sessionsRead(w, r, acl.Rule{Resource: acl.Session, Access: acl.Read},
		func(*catalog.Session) bool { return true })
}
