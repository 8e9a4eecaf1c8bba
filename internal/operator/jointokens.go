package operator

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/store"
)

// Join tokens: orbit's own API (Consul's servers join over Serf with a
// gossip key instead). A join token lets a new server join the store's
// cluster without an ACL token holding operator:write.
const (
	// PathJoinTokens lists (GET) and creates (PUT) join tokens;
	// PathJoinTokens/ID revokes one (DELETE).
	PathJoinTokens = "/v1/operator/join-tokens"
	// JoinTokenHeader carries a join token's secret on a server's join.
	JoinTokenHeader = "X-Orbit-Join-Token"
)

// JoinTokenStore keeps the join tokens.
type JoinTokenStore interface {
	CreateJoinToken(ctx context.Context, description string, now time.Time, ttl time.Duration) (store.JoinToken, string, error)
	JoinTokens(ctx context.Context) ([]store.JoinToken, error)
	RevokeJoinToken(ctx context.Context, id string) error
}

var _ JoinTokenStore = (*store.Store)(nil)

// JoinTokenRequest is the body of PUT PathJoinTokens.
type JoinTokenRequest struct {
	Description string
	// TTL is how long the token is accepted ("1h"); "" until revoked.
	TTL string `json:",omitempty"`
}

// JoinTokenCreated answers PUT PathJoinTokens: the token with its secret,
// shown this once.
type JoinTokenCreated struct {
	store.JoinToken
	SecretID string
}

// JoinTokensHandler serves PathJoinTokens.
type JoinTokensHandler struct {
	tokens JoinTokenStore
	kit    *httpkit.Kit
	clock  clockwork.Clock
	log    *slog.Logger
	mux    *httpkit.Mux
}

// NewJoinTokensHandler builds the handler; auth nil allows everything.
func NewJoinTokensHandler(tokens JoinTokenStore, auth acl.Authorizer, clock clockwork.Clock, log *slog.Logger) *JoinTokensHandler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	h := &JoinTokensHandler{tokens: tokens, kit: httpkit.New(log, auth, clock), clock: clock, log: log, mux: httpkit.NewMux()}
	h.mux.Handle("GET "+PathJoinTokens, h.kit.Handle(h.list))
	h.mux.Handle("PUT "+PathJoinTokens, h.kit.Handle(h.create))
	h.mux.Handle("POST "+PathJoinTokens, h.kit.Handle(h.create))
	h.mux.Handle("DELETE "+PathJoinTokens+"/{id}", h.kit.Handle(h.revoke))
	h.mux.Handle(PathJoinTokens+"/", h.kit.Handle(func(w http.ResponseWriter, r *http.Request) error {
		return httpkit.Errorf(http.StatusNotFound, "%s %s: not served (GET or PUT %s, DELETE %s/ID)",
			r.Method, r.URL.Path, PathJoinTokens, PathJoinTokens)
	}))
	return h
}

func (h *JoinTokensHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Patterns lists the routes served (httpkit.Router).
func (h *JoinTokensHandler) Patterns() []string { return h.mux.Patterns() }

func (h *JoinTokensHandler) list(w http.ResponseWriter, r *http.Request) error {
	if err := h.kit.Authorize(r, acl.Rule{Resource: acl.Operator, Access: acl.Read}); err != nil {
		return err
	}
	ts, err := h.tokens.JoinTokens(r.Context())
	if err != nil {
		return err
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, ts)
}

func (h *JoinTokensHandler) create(w http.ResponseWriter, r *http.Request) error {
	if err := h.kit.Authorize(r, acl.Rule{Resource: acl.Operator, Access: acl.Write}); err != nil {
		return err
	}
	var req JoinTokenRequest
	if r.ContentLength != 0 {
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
			return httpkit.BadRequest("join token body: %v", err)
		}
	}
	var ttl time.Duration
	if strings.TrimSpace(req.TTL) != "" {
		d, err := time.ParseDuration(strings.TrimSpace(req.TTL))
		if err != nil || d <= 0 {
			return httpkit.BadRequest("join token TTL %q: want a positive duration such as 1h", req.TTL)
		}
		ttl = d
	}
	t, secret, err := h.tokens.CreateJoinToken(r.Context(), req.Description, h.clock.Now(), ttl)
	if err != nil {
		return err
	}
	h.log.Info("join token created", "id", t.ID, "description", t.Description, "expires", t.ExpirationTime)
	return httpkit.WriteJSON(w, r, http.StatusOK, JoinTokenCreated{JoinToken: t, SecretID: secret})
}

func (h *JoinTokensHandler) revoke(w http.ResponseWriter, r *http.Request) error {
	if err := h.kit.Authorize(r, acl.Rule{Resource: acl.Operator, Access: acl.Write}); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := h.tokens.RevokeJoinToken(r.Context(), id); err != nil {
		return err
	}
	h.log.Info("join token revoked", "id", id)
	return httpkit.WriteJSON(w, r, http.StatusOK, true)
}
