package api

import (
	"net/http"
	"sync"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
)

// /v1/agent/token/:type sets one of the agent's ACL tokens at runtime, as
// Consul's does (without persistence: a restart goes back to the
// configuration). The default token is the one a request without a token
// carries; the others are kept and reported as set, orbit's agent using
// its configured tokens for its own calls.

// agentTokenTypes maps each of Consul's token names, legacy ones
// included, to the token it sets.
var agentTokenTypes = map[string]string{
	"default": "default", "acl_token": "default",
	"agent": "agent", "acl_agent_token": "agent",
	"agent_recovery": "agent_recovery", "agent_master": "agent_recovery", "acl_agent_master_token": "agent_recovery",
	"replication": "replication", "acl_replication_token": "replication",
	"config_file_service_registration": "config_file_service_registration",
	"dns":                              "dns", "dns_token": "dns",
}

// agentTokens holds the tokens set through the API.
type agentTokens struct {
	mu     sync.Mutex        // guards byType
	byType map[string]string // keyed by agentTokenTypes' values
}

func (t *agentTokens) set(typ, token string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byType == nil {
		t.byType = map[string]string{}
	}
	t.byType[typ] = token
}

func (t *agentTokens) get(typ string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byType[typ]
}

func (s *Server) agentToken(w http.ResponseWriter, r *http.Request) error {
	if !s.cfg.ACLsEnabled {
		return httpkit.Errorf(http.StatusUnauthorized, "ACL support disabled")
	}
	if err := s.authorize(r, acl.Rule{Resource: acl.Agent, Segment: s.cfg.NodeName, Access: acl.Write}); err != nil {
		return err
	}
	var in struct{ Token string }
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	typ, ok := agentTokenTypes[r.PathValue("type")]
	if !ok {
		return httpkit.Errorf(http.StatusNotFound, "Token %q is unknown", r.PathValue("type"))
	}
	s.tokens.set(typ, in.Token)
	s.log.Info("updated the agent's ACL token", "token", typ)
	w.WriteHeader(http.StatusOK)
	return nil
}

// withDefaultToken gives a request without a token the default token set
// through the API, as Consul's agent does.
func (s *Server) withDefaultToken(r *http.Request) {
	if tok := s.tokens.get("default"); tok != "" && httpkit.Token(r) == "" {
		r.Header.Set("X-Consul-Token", tok)
	}
}
