package connectca

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
)

// reasonDefault is Consul's reason for a decision no intention made. Since
// Consul resolves an allow-all authorizer when ACLs are off, it gives this
// reason then too (consul/api's TestAPI_AgentConnectAuthorize expects it).
const reasonDefault = "Default behavior configured by ACLs"

type authorizeRequest struct {
	Target           string
	ClientCertURI    string
	ClientCertSerial string
}

type authorizeAnswer struct {
	Authorized bool
	Reason     string
}

// decision is what orbit answers for any source and destination: it has
// no intentions, so Consul's default applies.
func (h *Handler) decision() (bool, string) {
	if !h.cfg.ACLsEnabled {
		return true, reasonDefault
	}
	return h.cfg.DefaultAllow, reasonDefault
}

// authorize answers whether the client certificate's service may reach
// Target. The token needs service:write on Target, as in Consul.
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request) error {
	var in authorizeRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Target == "" {
		return httpkit.BadRequest("Target service must be specified")
	}
	if !serviceIdentity(in.ClientCertURI) {
		return httpkit.BadRequest("ClientCertURI not a valid Connect identifier")
	}
	if err := h.may(r, acl.Service, in.Target, acl.Write); err != nil {
		return err
	}
	ok, reason := h.decision()
	return httpkit.WriteJSON(w, r, http.StatusOK, authorizeAnswer{Authorized: ok, Reason: reason})
}

// serviceIdentity reports whether s is a Connect service's SPIFFE ID:
// spiffe://<trust-domain>/ns/<ns>/dc/<dc>/svc/<name> (a partition
// segment "/ap/<p>" may lead, as Consul Enterprise writes).
func serviceIdentity(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "spiffe" || u.Host == "" {
		return false
	}
	parts := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
	if len(parts) == 8 && parts[0] == "ap" {
		parts = parts[2:]
	}
	return len(parts) == 6 && parts[0] == "ns" && parts[2] == "dc" && parts[4] == "svc" &&
		parts[1] != "" && parts[3] != "" && parts[5] != ""
}

// intentions lists the intentions: orbit has none.
func (h *Handler) intentions(w http.ResponseWriter, r *http.Request) error {
	q, err := httpkit.ParseQuery(r, httpkit.Consul, 0)
	if err != nil {
		return err
	}
	if err := h.kit.Block(r.Context(), q, unchanging(1)); err != nil {
		return err
	}
	return h.answer(w, r, 1, []struct{}{})
}

// intentionCheck answers whether source may reach destination; the token
// needs service:read on the destination, as in Consul.
func (h *Handler) intentionCheck(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	src, dst := q.Get("source"), q.Get("destination")
	if src == "" {
		return httpkit.BadRequest("required query parameter 'source' not set")
	}
	if dst == "" {
		return httpkit.BadRequest("required query parameter 'destination' not set")
	}
	if err := h.may(r, acl.Service, dst, acl.Read); err != nil {
		return err
	}
	ok, _ := h.decision()
	return h.answer(w, r, 1, struct{ Allowed bool }{ok})
}
