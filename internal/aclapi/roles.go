package aclapi

import (
	"net/http"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
)

func (h *Handler) createRole(w http.ResponseWriter, r *http.Request) error {
	if err := h.may(r, acl.Write); err != nil {
		return err
	}
	var role acl.Role
	if err := decode(r, &role); err != nil {
		return err
	}
	var err error
	if role.ID, err = newID("Role", "ID", role.ID); err != nil {
		return err
	}
	return h.storeRole(w, r, &role, true)
}

func (h *Handler) updateRole(w http.ResponseWriter, r *http.Request) error {
	if err := h.may(r, acl.Write); err != nil {
		return err
	}
	var role acl.Role
	if err := decode(r, &role); err != nil {
		return err
	}
	id := r.PathValue("id")
	if role.ID != "" && role.ID != id {
		return httpkit.BadRequest("Role update failed: ID in the body (%q) does not match the URL's (%q)", role.ID, id)
	}
	role.ID = id
	if _, ok := h.deps.View.ACLRole(id); !ok {
		return httpkit.BadRequest("Cannot find role %q", id)
	}
	return h.storeRole(w, r, &role, false)
}

func (h *Handler) storeRole(w http.ResponseWriter, r *http.Request, role *acl.Role, create bool) error {
	var err error
	if role.Policies, err = h.policyLinks(role.Policies); err != nil {
		return err
	}
	if err := acl.ValidateRole(role); err != nil {
		return err
	}
	role.SetHash()
	rev, err := h.deps.Store.PutACLRole(r.Context(), role, create)
	if err != nil {
		return nameInUse(err, "Role", role.Name)
	}
	if err := h.visible(r.Context(), rev); err != nil {
		return err
	}
	out, ok := h.deps.View.ACLRole(role.ID)
	if !ok {
		return notFound()
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, out)
}

func (h *Handler) readRole(w http.ResponseWriter, r *http.Request) error {
	if err := h.may(r, acl.Read); err != nil {
		return err
	}
	if err := h.block(w, r); err != nil {
		return err
	}
	role, ok := h.deps.View.ACLRole(r.PathValue("id"))
	if !ok {
		return notFound()
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, role)
}

func (h *Handler) readRoleByName(w http.ResponseWriter, r *http.Request) error {
	if err := h.may(r, acl.Read); err != nil {
		return err
	}
	if err := h.block(w, r); err != nil {
		return err
	}
	role, ok := h.deps.View.ACLRoleByName(r.PathValue("name"))
	if !ok {
		return notFound()
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, role)
}

func (h *Handler) deleteRole(w http.ResponseWriter, r *http.Request) error {
	if err := h.may(r, acl.Write); err != nil {
		return err
	}
	_, rev, err := h.deps.Store.DeleteACLRole(r.Context(), r.PathValue("id"))
	return h.deleted(w, r, rev, err)
}

func (h *Handler) listRoles(w http.ResponseWriter, r *http.Request) error {
	if err := h.may(r, acl.Read); err != nil {
		return err
	}
	if err := h.block(w, r); err != nil {
		return err
	}
	out := h.deps.View.ACLRoles()
	if out == nil {
		out = []*acl.Role{}
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, out)
}
