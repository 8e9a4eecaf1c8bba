package identity

import (
	"net/http"

	"github.com/orbit/orbit/internal/httpkit"
)

// The public endpoints' paths.
const (
	JWKSPath      = "/.well-known/jwks.json"
	DiscoveryPath = "/.well-known/openid-configuration"
	// WellKnownPrefix holds both; the agent mounts the handler under it.
	WellKnownPrefix = "/.well-known/"
)

// Handler serves JWKSPath and DiscoveryPath. It asks no authorizer: the
// keys are public, and verifiers must reach them with ACLs on or off.
// JWKSPath is a blocking query (?index=, ?wait=, X-Nomad-Index): it
// answers when the published key set changes, so tooling can wait for a
// signing key.
func (s *Signer) Handler() http.Handler {
	kit := httpkit.New(s.log, nil, s.clock)
	mux := httpkit.NewMux()
	mux.Handle("GET "+JWKSPath, kit.Handle(func(w http.ResponseWriter, r *http.Request) error {
		q, err := httpkit.ParseQuery(r, httpkit.Nomad, 0)
		if err != nil {
			return err
		}
		if err := kit.Block(r.Context(), q, s.WaitJWKS); err != nil {
			return nil // the client went away
		}
		set, index := s.JWKSIndex()
		httpkit.SetMeta(w, httpkit.Nomad, httpkit.Meta{Index: index, KnownLeader: true})
		return httpkit.WriteJSON(w, r, http.StatusOK, set)
	}))
	mux.Handle("GET "+DiscoveryPath, kit.Handle(func(w http.ResponseWriter, r *http.Request) error {
		issuer := s.cfg.Issuer
		if issuer == "" {
			issuer = "http://" + r.Host
		}
		return httpkit.WriteJSON(w, r, http.StatusOK, NewDiscovery(issuer))
	}))
	return mux
}
