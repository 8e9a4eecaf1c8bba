package aclapi

import (
	"errors"
	"net/http"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/store"
)

// policyListEntry is a policy in /v1/acl/policies: without its rules.
type policyListEntry struct {
	ID          string
	Name        string
	Description string
	Datacenters []string
	Hash        []byte
	CreateIndex uint64
	ModifyIndex uint64
}

// policy finds a policy by ID: stored, or a built-in one not stored yet.
func (h *Handler) policy(id string) (*acl.Policy, bool) {
	if p, ok := h.deps.View.ACLPolicy(id); ok {
		return p, true
	}
	for _, b := range acl.Builtins() {
		if b.ID == id {
			return &b, true
		}
	}
	return nil, false
}

// notFound is the 404 of a policy or role read (consul/api takes it as
// "none").
func notFound() error { return httpkit.Errorf(http.StatusNotFound, "ACL not found") }

// nameInUse words a name conflict as Consul does.
func nameInUse(err error, kind, name string) error {
	if errors.Is(err, store.ErrACLNameInUse) {
		return httpkit.BadRequest("Invalid %s: A %s with Name %q already exists", kind, kind, name)
	}
	return err
}

func (h *Handler) createPolicy(w http.ResponseWriter, r *http.Request) error {
	if err := h.may(r, acl.Write); err != nil {
		return err
	}
	var p acl.Policy
	if err := decode(r, &p); err != nil {
		return err
	}
	var err error
	if p.ID, err = newID("Policy", "ID", p.ID); err != nil {
		return err
	}
	return h.storePolicy(w, r, &p, true)
}

func (h *Handler) updatePolicy(w http.ResponseWriter, r *http.Request) error {
	if err := h.may(r, acl.Write); err != nil {
		return err
	}
	var p acl.Policy
	if err := decode(r, &p); err != nil {
		return err
	}
	id := r.PathValue("id")
	if p.ID != "" && p.ID != id {
		return httpkit.BadRequest("Policy update failed: ID in the body (%q) does not match the URL's (%q)", p.ID, id)
	}
	p.ID = id
	cur, ok := h.policy(id)
	if !ok {
		return httpkit.BadRequest("Cannot find policy %q", id)
	}
	if id == acl.GlobalManagementID || id == acl.GlobalReadOnlyID {
		if p.Name != cur.Name {
			return httpkit.BadRequest("Changing the Name for the builtin %s policy is not permitted", cur.Name)
		}
		if p.Rules != cur.Rules {
			return httpkit.BadRequest("Changing the Rules for the builtin %s policy is not permitted", cur.Name)
		}
	}
	_, stored := h.deps.View.ACLPolicy(id)
	return h.storePolicy(w, r, &p, !stored)
}

func (h *Handler) storePolicy(w http.ResponseWriter, r *http.Request, p *acl.Policy, create bool) error {
	if err := acl.ValidatePolicy(p); err != nil {
		return err
	}
	p.SetHash()
	rev, err := h.deps.Store.PutACLPolicy(r.Context(), p, create)
	if err != nil {
		return nameInUse(err, "Policy", p.Name)
	}
	if err := h.visible(r.Context(), rev); err != nil {
		return err
	}
	out, ok := h.deps.View.ACLPolicy(p.ID)
	if !ok {
		return notFound()
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, out)
}

func (h *Handler) readPolicy(w http.ResponseWriter, r *http.Request) error {
	if err := h.may(r, acl.Read); err != nil {
		return err
	}
	if err := h.block(w, r); err != nil {
		return err
	}
	p, ok := h.policy(r.PathValue("id"))
	if !ok {
		return notFound()
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, p)
}

func (h *Handler) readPolicyByName(w http.ResponseWriter, r *http.Request) error {
	if err := h.may(r, acl.Read); err != nil {
		return err
	}
	if err := h.block(w, r); err != nil {
		return err
	}
	p, ok := h.deps.View.ACLPolicyByName(r.PathValue("name"))
	if !ok {
		return notFound()
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, p)
}

func (h *Handler) deletePolicy(w http.ResponseWriter, r *http.Request) error {
	if err := h.may(r, acl.Write); err != nil {
		return err
	}
	id := r.PathValue("id")
	if id == acl.GlobalManagementID || id == acl.GlobalReadOnlyID {
		p, _ := h.policy(id)
		return httpkit.BadRequest("Deletion of the builtin %s policy is not permitted", p.Name)
	}
	_, rev, err := h.deps.Store.DeleteACLPolicy(r.Context(), id)
	return h.deleted(w, r, rev, err)
}

func (h *Handler) listPolicies(w http.ResponseWriter, r *http.Request) error {
	if err := h.may(r, acl.Read); err != nil {
		return err
	}
	if err := h.block(w, r); err != nil {
		return err
	}
	out := []policyListEntry{}
	for _, p := range h.deps.View.ACLPolicies() {
		out = append(out, policyListEntry{ID: p.ID, Name: p.Name, Description: p.Description, Datacenters: p.Datacenters,
			Hash: p.Hash, CreateIndex: p.CreateIndex, ModifyIndex: p.ModifyIndex})
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, out)
}
