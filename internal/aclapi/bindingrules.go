package aclapi

import (
	"errors"
	"net/http"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/acllogin"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/store"
)

func (h *Handler) createBindingRule(w http.ResponseWriter, r *http.Request) error {
	return h.putBindingRule(w, r, "", true)
}

func (h *Handler) updateBindingRule(w http.ResponseWriter, r *http.Request) error {
	return h.putBindingRule(w, r, r.PathValue("id"), false)
}

// putBindingRule checks a rule against its method's configuration and
// stores it; id is the URL's on an update.
func (h *Handler) putBindingRule(w http.ResponseWriter, r *http.Request, id string, create bool) error {
	if err := h.may(r, acl.Write); err != nil {
		return err
	}
	var br acl.BindingRule
	if err := decode(r, &br); err != nil {
		return err
	}
	var err error
	if create {
		if br.ID != "" {
			return httpkit.BadRequest("Invalid Binding Rule: ID must be empty on create")
		}
		if br.ID, err = newID("Binding Rule", "ID", ""); err != nil {
			return err
		}
	} else {
		if br.ID != "" && br.ID != id {
			return httpkit.BadRequest("Binding Rule update failed: ID in the body (%q) does not match the URL's (%q)", br.ID, id)
		}
		br.ID = id
		cur, ok := h.deps.View.ACLBindingRule(id)
		if !ok {
			return httpkit.BadRequest("Cannot find binding rule %q", id)
		}
		if br.AuthMethod == "" {
			br.AuthMethod = cur.AuthMethod
		}
		if br.AuthMethod != cur.AuthMethod {
			return httpkit.BadRequest("Invalid Binding Rule: AuthMethod cannot be changed")
		}
	}
	if br.AuthMethod == "" {
		return httpkit.BadRequest("Invalid Binding Rule: no auth method name provided")
	}
	m, ok := h.deps.View.ACLAuthMethod(br.AuthMethod)
	if !ok {
		return httpkit.BadRequest("Invalid Binding Rule: cannot find auth method %q", br.AuthMethod)
	}
	cfg, err := methodConfig(m)
	if err != nil {
		return err
	}
	if err := acllogin.ValidateBindingRule(&br, cfg); err != nil {
		return err
	}
	rev, err := h.deps.Store.PutACLBindingRule(r.Context(), &br, create)
	if errors.Is(err, store.ErrACLNoAuthMethod) {
		return httpkit.BadRequest("Invalid Binding Rule: cannot find auth method %q", br.AuthMethod)
	}
	if err != nil {
		return err
	}
	if err := h.visible(r.Context(), rev); err != nil {
		return err
	}
	out, ok := h.deps.View.ACLBindingRule(br.ID)
	if !ok {
		return notFound()
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, out)
}

func (h *Handler) readBindingRule(w http.ResponseWriter, r *http.Request) error {
	if err := h.may(r, acl.Read); err != nil {
		return err
	}
	if err := h.block(w, r); err != nil {
		return err
	}
	br, ok := h.deps.View.ACLBindingRule(r.PathValue("id"))
	if !ok {
		return notFound()
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, br)
}

func (h *Handler) deleteBindingRule(w http.ResponseWriter, r *http.Request) error {
	if err := h.may(r, acl.Write); err != nil {
		return err
	}
	_, rev, err := h.deps.Store.DeleteACLBindingRule(r.Context(), r.PathValue("id"))
	return h.deleted(w, r, rev, err)
}

// listBindingRules answers /v1/acl/binding-rules, of one method with
// ?authmethod=.
func (h *Handler) listBindingRules(w http.ResponseWriter, r *http.Request) error {
	if err := h.may(r, acl.Read); err != nil {
		return err
	}
	if err := h.block(w, r); err != nil {
		return err
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, h.deps.View.ACLBindingRules(r.URL.Query().Get("authmethod")))
}
