package aclapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/acllogin"
	"github.com/orbit/orbit/internal/httpkit"
)

// loginRequest is consul/api's ACLLoginParams.
type loginRequest struct {
	AuthMethod  string
	BearerToken string
	Meta        map[string]string
}

// login exchanges a bearer JWT for a token, as the named auth method's
// binding rules decide (no ACL token is needed to ask).
func (h *Handler) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.AuthMethod == "" {
		return httpkit.BadRequest("Invalid Login: no auth method name provided")
	}
	if req.BearerToken == "" {
		return httpkit.BadRequest("Invalid Login: no bearer token provided")
	}
	m, ok := h.deps.View.ACLAuthMethod(req.AuthMethod)
	if !ok {
		return &httpkit.Error{Code: http.StatusForbidden, Public: acl.ErrNotFound.Error(), Cause: errors.New("login: no auth method " + req.AuthMethod)}
	}
	b, err := h.verifyLogin(r, m, req.BearerToken)
	if err != nil {
		return err
	}
	t := &acl.Token{Description: "token created via login", AuthMethod: m.Name, Local: m.TokenLocality != "global",
		ExpirationTTL: tokenTTL(m)}
	if len(req.Meta) > 0 {
		meta, _ := json.Marshal(req.Meta)
		t.Description += ": " + string(meta)
	}
	for _, s := range b.Services {
		t.ServiceIdentities = append(t.ServiceIdentities, acl.ServiceIdentity{ServiceName: s})
	}
	for _, n := range b.Nodes {
		t.NodeIdentities = append(t.NodeIdentities, acl.NodeIdentity{NodeName: n, Datacenter: h.datacenter()})
	}
	// Roles and policies that do not exist are skipped, as Consul does.
	for _, name := range b.Roles {
		if role, ok := h.deps.View.ACLRoleByName(name); ok {
			t.Roles = append(t.Roles, acl.Link{ID: role.ID, Name: role.Name})
		}
	}
	for _, name := range b.Policies {
		if p, ok := h.deps.View.ACLPolicyByName(name); ok {
			t.Policies = append(t.Policies, acl.Link{ID: p.ID, Name: p.Name})
		}
	}
	if len(t.ServiceIdentities)+len(t.NodeIdentities)+len(t.Roles)+len(t.Policies) == 0 {
		return &httpkit.Error{Code: http.StatusForbidden, Public: "Permission denied", Cause: errors.New("login: no binding rule granted anything")}
	}
	full, err := h.newToken(tokenRequest{Description: t.Description, Policies: t.Policies, Roles: t.Roles,
		ServiceIdentities: t.ServiceIdentities, Local: t.Local, ExpirationTTL: duration(t.ExpirationTTL)})
	if err != nil {
		return err
	}
	full.AuthMethod, full.NodeIdentities = t.AuthMethod, t.NodeIdentities
	full.SetHash()
	return h.storeToken(w, r, full)
}

// verifyLogin verifies the bearer token with the method and applies its
// binding rules.
func (h *Handler) verifyLogin(r *http.Request, m *acl.AuthMethod, bearer string) (acllogin.Bindings, error) {
	cfg, err := methodConfig(m)
	if err != nil {
		return acllogin.Bindings{}, err
	}
	var set *jose.JSONWebKeySet
	if cfg.JWKSURL != "" {
		set, err = h.keys.get(r.Context(), m.Name, cfg, keyID(bearer))
		if err != nil {
			return acllogin.Bindings{}, &httpkit.Error{Code: http.StatusInternalServerError,
				Public: "cannot fetch the auth method's JWKS", Cause: err}
		}
	}
	claims, err := acllogin.Verify(cfg, set, bearer, h.kit.Clock.Now())
	if err != nil {
		return acllogin.Bindings{}, &httpkit.Error{Code: http.StatusForbidden, Public: "Permission denied: " +
			strings.TrimPrefix(err.Error(), acllogin.ErrBadToken.Error()+": "), Cause: err}
	}
	id, err := acllogin.MapClaims(cfg, claims)
	if err != nil {
		return acllogin.Bindings{}, &httpkit.Error{Code: http.StatusForbidden, Public: "Permission denied: " + err.Error(), Cause: err}
	}
	return acllogin.Bind(h.deps.View.ACLBindingRules(m.Name), id)
}

// keyID is the kid a JWT's header names ("" when it cannot be read; the
// verification says why later).
func keyID(token string) string {
	tok, err := jwt.ParseSigned(token, acllogin.Algorithms())
	if err != nil || len(tok.Headers) == 0 {
		return ""
	}
	return tok.Headers[0].KeyID
}

// logout deletes the request's token, which a login must have made.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) error {
	secret := httpkit.Token(r)
	if secret == "" {
		return tokenNotFound()
	}
	t, err := h.deps.Self.Token(r.Context(), secret)
	if err != nil {
		if errors.Is(err, acl.ErrNotFound) {
			return tokenNotFound()
		}
		return err
	}
	if t.AuthMethod == "" {
		return &httpkit.Error{Code: http.StatusForbidden, Public: "Permission denied: only tokens created by a login may log out",
			Cause: errors.New("logout of a token without an auth method")}
	}
	_, rev, err := h.deps.Store.DeleteACLToken(r.Context(), t.AccessorID)
	return h.deleted(w, r, rev, err)
}

func (h *Handler) datacenter() string {
	if h.cfg.Datacenter == "" {
		return "dc1"
	}
	return h.cfg.Datacenter
}
