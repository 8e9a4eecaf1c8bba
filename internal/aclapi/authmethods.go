package aclapi

import (
	"errors"
	"net/http"
	"time"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/acllogin"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/store"
)

// authMethodListEntry is an auth method as /v1/acl/auth-methods lists it:
// without its Config.
type authMethodListEntry struct {
	Name          string
	Type          string
	DisplayName   string `json:",omitempty"`
	Description   string `json:",omitempty"`
	MaxTokenTTL   string `json:",omitempty"`
	TokenLocality string `json:",omitempty"`
	CreateIndex   uint64
	ModifyIndex   uint64
}

func (h *Handler) createAuthMethod(w http.ResponseWriter, r *http.Request) error {
	return h.putAuthMethod(w, r, "", true)
}

func (h *Handler) updateAuthMethod(w http.ResponseWriter, r *http.Request) error {
	return h.putAuthMethod(w, r, r.PathValue("name"), false)
}

// putAuthMethod checks and stores an auth method; name is the URL's on
// an update.
func (h *Handler) putAuthMethod(w http.ResponseWriter, r *http.Request, name string, create bool) error {
	if err := h.may(r, acl.Write); err != nil {
		return err
	}
	var m acl.AuthMethod
	if err := decode(r, &m); err != nil {
		return err
	}
	if !create {
		if m.Name != "" && m.Name != name {
			return httpkit.BadRequest("Auth Method update failed: Name in the body (%q) does not match the URL's (%q)", m.Name, name)
		}
		m.Name = name
		cur, ok := h.deps.View.ACLAuthMethod(name)
		if !ok {
			return httpkit.BadRequest("Cannot find auth method %q", name)
		}
		if m.Type == "" {
			m.Type = cur.Type
		}
		if m.Type != cur.Type {
			return httpkit.BadRequest("Invalid Auth Method: Type cannot be changed")
		}
	}
	if err := acl.ValidateAuthMethod(&m); err != nil {
		return err
	}
	if _, err := acllogin.ParseJWTConfig(m.Config); err != nil {
		return err
	}
	rev, err := h.deps.Store.PutACLAuthMethod(r.Context(), &m, create)
	if create && errors.Is(err, store.ErrConflict) {
		return httpkit.BadRequest("Invalid Auth Method: An Auth Method with Name %q already exists", m.Name)
	}
	if err != nil {
		return err
	}
	if err := h.visible(r.Context(), rev); err != nil {
		return err
	}
	h.keys.forget(m.Name)
	out, ok := h.deps.View.ACLAuthMethod(m.Name)
	if !ok {
		return notFound()
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, out)
}

func (h *Handler) readAuthMethod(w http.ResponseWriter, r *http.Request) error {
	if err := h.may(r, acl.Read); err != nil {
		return err
	}
	if err := h.block(w, r); err != nil {
		return err
	}
	m, ok := h.deps.View.ACLAuthMethod(r.PathValue("name"))
	if !ok {
		return notFound()
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, m)
}

// deleteAuthMethod deletes a method with its binding rules and the tokens
// its logins made.
func (h *Handler) deleteAuthMethod(w http.ResponseWriter, r *http.Request) error {
	if err := h.may(r, acl.Write); err != nil {
		return err
	}
	name := r.PathValue("name")
	var rules, tokens []string
	for _, br := range h.deps.View.ACLBindingRules(name) {
		rules = append(rules, br.ID)
	}
	for _, t := range h.deps.View.ACLTokens() {
		if t.AuthMethod == name {
			tokens = append(tokens, t.AccessorID)
		}
	}
	_, rev, err := h.deps.Store.DeleteACLAuthMethod(r.Context(), name, rules, tokens)
	h.keys.forget(name)
	return h.deleted(w, r, rev, err)
}

func (h *Handler) listAuthMethods(w http.ResponseWriter, r *http.Request) error {
	if err := h.may(r, acl.Read); err != nil {
		return err
	}
	if err := h.block(w, r); err != nil {
		return err
	}
	out := []authMethodListEntry{}
	for _, m := range h.deps.View.ACLAuthMethods() {
		e := authMethodListEntry{Name: m.Name, Type: m.Type, DisplayName: m.DisplayName, Description: m.Description,
			TokenLocality: m.TokenLocality, CreateIndex: m.CreateIndex, ModifyIndex: m.ModifyIndex}
		if m.MaxTokenTTL != 0 {
			e.MaxTokenTTL = m.MaxTokenTTL.String()
		}
		out = append(out, e)
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, out)
}

// methodConfig is a stored method's parsed configuration.
func methodConfig(m *acl.AuthMethod) (*acllogin.JWTConfig, error) {
	cfg, err := acllogin.ParseJWTConfig(m.Config)
	if err != nil {
		return nil, &httpkit.Error{Code: http.StatusInternalServerError, Public: "auth method " + m.Name + " has an invalid stored configuration", Cause: err}
	}
	return cfg, nil
}

// tokenTTL is the lifetime of a login's token: the method's MaxTokenTTL
// (0: no expiry).
func tokenTTL(m *acl.AuthMethod) time.Duration { return m.MaxTokenTTL }
