package aclapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
)

// hidden replaces a secret shown to a token without acl:write, as Consul.
const hidden = "<hidden>"

// tokenRequest is the body of a token create or update, in Consul's
// shape; ExpirationTTL takes nanoseconds (consul/api) or a duration
// string ("1h").
type tokenRequest struct {
	AccessorID        string
	SecretID          string
	Description       string
	Policies          []acl.Link
	Roles             []acl.Link
	ServiceIdentities []acl.ServiceIdentity
	Local             bool
	ExpirationTTL     duration
	ExpirationTime    *time.Time
}

// duration decodes a JSON number of nanoseconds or a Go duration string.
type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		*d = duration(n)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = duration(v)
	return nil
}

// token answers a stored token with its secret, or "<hidden>" for a
// requester without acl:write.
func (h *Handler) token(w http.ResponseWriter, r *http.Request, t *acl.Token) error {
	out := *t
	if h.may(r, acl.Write) != nil {
		out.SecretID = hidden
	} else {
		secret, err := h.deps.Store.ACLTokenSecret(r.Context(), t.AccessorID)
		if err != nil {
			return err
		}
		out.SecretID = secret
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, &out)
}

// tokenNotFound is Consul's answer to an accessor no token has.
func tokenNotFound() error {
	return &httpkit.Error{Code: http.StatusForbidden, Public: acl.ErrNotFound.Error(), Cause: acl.ErrNotFound}
}

func (h *Handler) createToken(w http.ResponseWriter, r *http.Request) error {
	if err := h.may(r, acl.Write); err != nil {
		return err
	}
	var req tokenRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	t, err := h.newToken(req)
	if err != nil {
		return err
	}
	return h.storeToken(w, r, t)
}

// newToken builds a token to create from a request: IDs checked or made,
// links resolved, expiration fixed, hash set.
func (h *Handler) newToken(req tokenRequest) (*acl.Token, error) {
	var err error
	t := &acl.Token{Description: req.Description, ServiceIdentities: req.ServiceIdentities, Local: req.Local,
		ExpirationTTL: time.Duration(req.ExpirationTTL), CreateTime: h.kit.Clock.Now().UTC()}
	if t.AccessorID, err = newID("Token", "AccessorID", req.AccessorID); err != nil {
		return nil, err
	}
	if t.SecretID, err = newID("Token", "SecretID", req.SecretID); err != nil {
		return nil, err
	}
	if t.AccessorID == acl.AnonymousTokenID || t.SecretID == acl.AnonymousSecret {
		return nil, httpkit.BadRequest("Invalid Token: the anonymous token's IDs are reserved")
	}
	switch {
	case req.ExpirationTTL != 0 && req.ExpirationTime != nil:
		return nil, httpkit.BadRequest("Token Expiration TTL and Expiration Time cannot both be set")
	case req.ExpirationTime != nil:
		if !req.ExpirationTime.After(t.CreateTime) {
			return nil, httpkit.BadRequest("ExpirationTime cannot be before CreateTime")
		}
		t.ExpirationTime = req.ExpirationTime
	case req.ExpirationTTL > 0:
		exp := t.CreateTime.Add(time.Duration(req.ExpirationTTL))
		t.ExpirationTime = &exp
	}
	if err := h.fillLinks(t, req); err != nil {
		return nil, err
	}
	t.SetHash()
	return t, nil
}

func (h *Handler) fillLinks(t *acl.Token, req tokenRequest) error {
	var err error
	if t.Policies, err = h.policyLinks(req.Policies); err != nil {
		return err
	}
	if t.Roles, err = h.roleLinks(req.Roles); err != nil {
		return err
	}
	t.ServiceIdentities = req.ServiceIdentities
	return acl.ValidateToken(t)
}

// storeToken creates t and answers it as stored.
func (h *Handler) storeToken(w http.ResponseWriter, r *http.Request, t *acl.Token) error {
	rev, err := h.deps.Store.CreateACLToken(r.Context(), t)
	if err != nil {
		return err
	}
	if err := h.visible(r.Context(), rev); err != nil {
		return err
	}
	stored, ok := h.deps.View.ACLToken(t.AccessorID)
	if !ok {
		return tokenNotFound()
	}
	out := *stored
	out.SecretID = t.SecretID
	return httpkit.WriteJSON(w, r, http.StatusOK, &out)
}

func (h *Handler) readToken(w http.ResponseWriter, r *http.Request) error {
	if err := h.may(r, acl.Read); err != nil {
		return err
	}
	if err := h.block(w, r); err != nil {
		return err
	}
	t, ok := h.deps.View.ACLToken(r.PathValue("id"))
	if !ok {
		return tokenNotFound()
	}
	return h.token(w, r, t)
}

// readSelf answers the token the request carries (any valid token may).
func (h *Handler) readSelf(w http.ResponseWriter, r *http.Request) error {
	secret := httpkit.Token(r)
	t, err := h.deps.Self.Token(r.Context(), secret)
	if err != nil {
		if errors.Is(err, acl.ErrNotFound) {
			return tokenNotFound()
		}
		return err
	}
	out := *t
	out.SecretID = secret
	if secret == "" {
		out.SecretID = acl.AnonymousSecret
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, &out)
}

func (h *Handler) updateToken(w http.ResponseWriter, r *http.Request) error {
	if err := h.may(r, acl.Write); err != nil {
		return err
	}
	var req tokenRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	id := r.PathValue("id")
	if req.AccessorID != "" && req.AccessorID != id {
		return httpkit.BadRequest("Token update failed: AccessorID in the body (%q) does not match the URL's (%q)", req.AccessorID, id)
	}
	cur, ok := h.deps.View.ACLToken(id)
	if !ok {
		return httpkit.BadRequest("Cannot find token %q", id)
	}
	if req.SecretID != "" {
		secret, err := h.deps.Store.ACLTokenSecret(r.Context(), id)
		if err != nil {
			return err
		}
		if req.SecretID != secret {
			return httpkit.BadRequest("Changing a token's SecretID is not permitted")
		}
	}
	if req.Local != cur.Local {
		return httpkit.BadRequest("Cannot toggle local mode of %s", id)
	}
	if req.ExpirationTime != nil && (cur.ExpirationTime == nil || !req.ExpirationTime.Equal(*cur.ExpirationTime)) ||
		req.ExpirationTTL != 0 && time.Duration(req.ExpirationTTL) != cur.ExpirationTTL {
		return httpkit.BadRequest("Cannot change expiration time of %s", id)
	}
	t := *cur
	t.Description = req.Description
	if err := h.fillLinks(&t, req); err != nil {
		return err
	}
	secret, err := h.deps.Store.ACLTokenSecret(r.Context(), id)
	if err != nil {
		return err
	}
	t.SecretID = secret
	t.SetHash()
	rev, err := h.deps.Store.UpdateACLToken(r.Context(), &t, int64(cur.ModifyIndex))
	if err != nil {
		return err
	}
	if err := h.visible(r.Context(), rev); err != nil {
		return err
	}
	stored, ok := h.deps.View.ACLToken(id)
	if !ok {
		return tokenNotFound()
	}
	out := *stored
	out.SecretID = secret
	return httpkit.WriteJSON(w, r, http.StatusOK, &out)
}

func (h *Handler) cloneToken(w http.ResponseWriter, r *http.Request) error {
	if err := h.may(r, acl.Write); err != nil {
		return err
	}
	var req struct{ Description string }
	if err := decode(r, &req); err != nil {
		return err
	}
	src, ok := h.deps.View.ACLToken(r.PathValue("id"))
	if !ok {
		return tokenNotFound()
	}
	if src.AccessorID == acl.AnonymousTokenID {
		return httpkit.BadRequest("Cannot clone the anonymous token")
	}
	desc := src.Description
	if req.Description != "" {
		desc = req.Description
	}
	t, err := h.newToken(tokenRequest{Description: desc, Policies: src.Policies, Roles: src.Roles,
		ServiceIdentities: src.ServiceIdentities, Local: src.Local, ExpirationTime: src.ExpirationTime})
	if err != nil {
		return err
	}
	return h.storeToken(w, r, t)
}

func (h *Handler) deleteToken(w http.ResponseWriter, r *http.Request) error {
	if err := h.may(r, acl.Write); err != nil {
		return err
	}
	id := r.PathValue("id")
	if id == acl.AnonymousTokenID {
		return httpkit.BadRequest("Delete operation not permitted on the anonymous token")
	}
	_, rev, err := h.deps.Store.DeleteACLToken(r.Context(), id)
	return h.deleted(w, r, rev, err)
}

// listTokens answers /v1/acl/tokens, filtered by one of policy, role,
// authmethod or servicename.
func (h *Handler) listTokens(w http.ResponseWriter, r *http.Request) error {
	if err := h.may(r, acl.Read); err != nil {
		return err
	}
	f, err := parseTokenFilter(r)
	if err != nil {
		return err
	}
	if err := h.block(w, r); err != nil {
		return err
	}
	var secrets map[string]string
	if h.may(r, acl.Write) == nil {
		if secrets, err = h.deps.Store.ACLTokenSecrets(r.Context()); err != nil {
			return err
		}
	}
	out := []acl.Token{}
	for _, t := range h.deps.View.ACLTokens() {
		if !f.match(t) {
			continue
		}
		e := *t
		e.SecretID = hidden
		if secrets != nil {
			e.SecretID = secrets[t.AccessorID]
		}
		out = append(out, e)
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, out)
}
