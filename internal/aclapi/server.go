package aclapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/view"
)

// Prefix is where the agent mounts the handler.
const Prefix = "/v1/acl/"

// Handler serves the ACL endpoints.
type Handler struct {
	cfg  Config
	deps Deps
	kit  *httpkit.Kit
	mux  *httpkit.Mux
	keys *keySets
}

// New builds the handler.
func New(cfg Config, deps Deps) (*Handler, error) {
	if deps.View == nil || deps.Store == nil || deps.Self == nil {
		return nil, errors.New("aclapi: View, Store and Self are required")
	}
	h := &Handler{cfg: cfg, deps: deps, kit: httpkit.New(deps.Logger, deps.Authorizer, deps.Clock), mux: httpkit.NewMux()}
	h.keys = newKeySets(deps.HTTPClient, h.kit.Clock)
	h.routes()
	return h, nil
}

func (h *Handler) routes() {
	writes := []string{"PUT", "POST"}
	for _, m := range writes {
		h.handle(m+" /v1/acl/bootstrap", h.bootstrap)
		h.handle(m+" /v1/acl/token", h.createToken)
		h.handle(m+" /v1/acl/token/{id}", h.updateToken)
		h.handle(m+" /v1/acl/token/{id}/clone", h.cloneToken)
		h.handle(m+" /v1/acl/policy", h.createPolicy)
		h.handle(m+" /v1/acl/policy/{id}", h.updatePolicy)
		h.handle(m+" /v1/acl/role", h.createRole)
		h.handle(m+" /v1/acl/role/{id}", h.updateRole)
	}
	h.handle("GET /v1/acl/token/self", h.readSelf)
	h.handle("GET /v1/acl/token/{id}", h.readToken)
	h.handle("DELETE /v1/acl/token/{id}", h.deleteToken)
	h.handle("GET /v1/acl/tokens", h.listTokens)
	h.handle("GET /v1/acl/policy/{id}", h.readPolicy)
	h.handle("GET /v1/acl/policy/name/{name}", h.readPolicyByName)
	h.handle("DELETE /v1/acl/policy/{id}", h.deletePolicy)
	h.handle("GET /v1/acl/policies", h.listPolicies)
	h.handle("GET /v1/acl/role/{id}", h.readRole)
	h.handle("GET /v1/acl/role/name/{name}", h.readRoleByName)
	h.handle("DELETE /v1/acl/role/{id}", h.deleteRole)
	h.handle("GET /v1/acl/roles", h.listRoles)
	for _, m := range writes {
		h.handle(m+" /v1/acl/auth-method", h.createAuthMethod)
		h.handle(m+" /v1/acl/auth-method/{name}", h.updateAuthMethod)
		h.handle(m+" /v1/acl/binding-rule", h.createBindingRule)
		h.handle(m+" /v1/acl/binding-rule/{id}", h.updateBindingRule)
		h.handle(m+" /v1/acl/login", h.login)
		h.handle(m+" /v1/acl/logout", h.logout)
	}
	h.handle("GET /v1/acl/auth-method/{name}", h.readAuthMethod)
	h.handle("DELETE /v1/acl/auth-method/{name}", h.deleteAuthMethod)
	h.handle("GET /v1/acl/auth-methods", h.listAuthMethods)
	h.handle("GET /v1/acl/binding-rule/{id}", h.readBindingRule)
	h.handle("DELETE /v1/acl/binding-rule/{id}", h.deleteBindingRule)
	h.handle("GET /v1/acl/binding-rules", h.listBindingRules)
}

func (h *Handler) handle(pattern string, f httpkit.HandlerFunc) {
	h.mux.Handle(pattern, h.kit.Handle(func(w http.ResponseWriter, r *http.Request) error {
		if !h.cfg.Enabled {
			return httpkit.Errorf(http.StatusUnauthorized, "ACL support disabled")
		}
		return f(w, r)
	}))
}

// ServeHTTP routes the request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Patterns lists the routes served (httpkit.Router).
func (h *Handler) Patterns() []string { return h.mux.Patterns() }

// may asks the request's token for acl:read or acl:write.
func (h *Handler) may(r *http.Request, a acl.Access) error {
	return h.kit.Authorize(r, acl.Rule{Resource: acl.ACL, Access: a})
}

// decode reads a JSON body into v; an empty body leaves v as it is.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return httpkit.BadRequest("Request decode failed: %v", err)
	}
	return nil
}

// visible waits until this agent's view shows the write at rev.
func (h *Handler) visible(ctx context.Context, rev int64) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := h.deps.View.WaitRevision(ctx, rev); err != nil {
		return fmt.Errorf("wait for write %d to be visible: %w", rev, err)
	}
	return nil
}

// deleted answers a delete: its error, or true once the view holds the
// write (rev is 0 when there was nothing to delete).
func (h *Handler) deleted(w http.ResponseWriter, r *http.Request, rev int64, err error) error {
	if err != nil {
		return err
	}
	if rev > 0 {
		if err := h.visible(r.Context(), rev); err != nil {
			return err
		}
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, true)
}

// block runs a blocking query on the ACL objects and sets Consul's index
// headers; answer then writes the current state.
func (h *Handler) block(w http.ResponseWriter, r *http.Request) error {
	q, err := httpkit.ParseQuery(r, httpkit.Consul, 0)
	if err != nil {
		return err
	}
	if err := h.kit.Block(r.Context(), q, func(ctx context.Context, index uint64) {
		h.deps.View.Wait(ctx, view.ACLRes, index)
	}); err != nil {
		return err
	}
	httpkit.SetMeta(w, httpkit.Consul, httpkit.Meta{Index: h.deps.View.Wait(r.Context(), view.ACLRes, 0), KnownLeader: true})
	return nil
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// newID returns id when given (it must be a UUID), else a new one.
func newID(kind, field, id string) (string, error) {
	if id == "" {
		return uuid.NewString(), nil
	}
	if !uuidRE.MatchString(id) {
		return "", httpkit.BadRequest("Invalid %s: %s must be a valid UUID", kind, field)
	}
	return strings.ToLower(id), nil
}

// links resolves policy or role links given by ID or name to stored
// objects, filling both; a link naming nothing is a 400.
func links(kind string, in []acl.Link, byID, byName func(string) (string, string, bool)) ([]acl.Link, error) {
	out := make([]acl.Link, 0, len(in))
	for _, l := range in {
		var id, name string
		var ok bool
		switch {
		case l.ID != "":
			id, name, ok = byID(l.ID)
		case l.Name != "":
			id, name, ok = byName(l.Name)
		default:
			return nil, httpkit.BadRequest("%s link without an ID or a Name", kind)
		}
		if !ok {
			return nil, httpkit.BadRequest("cannot find %s %s", kind, orName(l))
		}
		out = append(out, acl.Link{ID: id, Name: name})
	}
	return acl.DedupLinks(out), nil
}

func orName(l acl.Link) string {
	if l.ID != "" {
		return fmt.Sprintf("%q", l.ID)
	}
	return fmt.Sprintf("with name %q", l.Name)
}

// policyLinks resolves links to policies (stored or built in).
func (h *Handler) policyLinks(in []acl.Link) ([]acl.Link, error) {
	return links("policy", in, func(id string) (string, string, bool) {
		p, ok := h.policy(id)
		if !ok {
			return "", "", false
		}
		return p.ID, p.Name, true
	}, func(name string) (string, string, bool) {
		p, ok := h.deps.View.ACLPolicyByName(name)
		if !ok {
			return "", "", false
		}
		return p.ID, p.Name, true
	})
}

// roleLinks resolves links to roles.
func (h *Handler) roleLinks(in []acl.Link) ([]acl.Link, error) {
	return links("role", in, func(id string) (string, string, bool) {
		r, ok := h.deps.View.ACLRole(id)
		if !ok {
			return "", "", false
		}
		return r.ID, r.Name, true
	}, func(name string) (string, string, bool) {
		r, ok := h.deps.View.ACLRoleByName(name)
		if !ok {
			return "", "", false
		}
		return r.ID, r.Name, true
	})
}
