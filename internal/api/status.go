package api

import (
	"net/http"

	"github.com/orbit/orbit/internal/acl"
)

func (s *Server) statusLeader(w http.ResponseWriter, r *http.Request) error {
	if err := s.authorize(r, acl.Rule{Resource: acl.Operator, Access: acl.Read}); err != nil {
		return err
	}
	st, err := s.store.ClusterStatus(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, r, st.Leader)
}

func (s *Server) statusPeers(w http.ResponseWriter, r *http.Request) error {
	if err := s.authorize(r, acl.Rule{Resource: acl.Operator, Access: acl.Read}); err != nil {
		return err
	}
	st, err := s.store.ClusterStatus(r.Context())
	if err != nil {
		return err
	}
	if st.Peers == nil {
		st.Peers = []string{}
	}
	return writeJSON(w, r, st.Peers)
}
