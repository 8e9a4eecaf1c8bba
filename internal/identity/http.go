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
func (s *Signer) Handler() http.Handler {
	kit := httpkit.New(s.log, nil, s.clock)
	mux := http.NewServeMux()
	mux.Handle("GET "+JWKSPath, kit.Handle(func(w http.ResponseWriter, r *http.Request) error {
		return httpkit.WriteJSON(w, r, http.StatusOK, s.JWKS())
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
