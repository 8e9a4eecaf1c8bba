package api

import (
	"net/http"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
)

func (s *Server) statusLeader(w http.ResponseWriter, r *http.Request) error {
	if err := s.authorize(r, acl.Rule{Resource: acl.Operator, Access: acl.Read}); err != nil {
		return err
	}
	st, err := s.store.ClusterStatus(r.Context())
	if err != nil {
		return err
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, st.Leader)
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
	return httpkit.WriteJSON(w, r, http.StatusOK, st.Peers)
}
