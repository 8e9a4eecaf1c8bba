package zoneapi

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/zone"
)

func (h *Handler) listRecords(w http.ResponseWriter, r *http.Request) error {
	name, err := pathZone(r)
	if err != nil {
		return err
	}
	_, sets, err := h.readZone(name)
	if err != nil {
		return err
	}
	owner, typ := r.URL.Query().Get("name"), strings.ToUpper(r.URL.Query().Get("type"))
	if owner != "" {
		if owner, err = zone.Owner(owner, name); err != nil {
			return err
		}
	}
	out := []zone.RRSet{}
	for _, st := range sets {
		if (owner == "" || st.Name == owner) && (typ == "" || st.Type == typ) {
			out = append(out, st)
		}
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, out)
}

// setRecords replaces the record sets given (one RRSet or a list) and
// answers them as stored.
func (h *Handler) setRecords(w http.ResponseWriter, r *http.Request) error {
	name, err := pathZone(r)
	if err != nil {
		return err
	}
	data, err := readBody(r)
	if err != nil {
		return err
	}
	var sets []zone.RRSet
	if trimmed := strings.TrimSpace(string(data)); strings.HasPrefix(trimmed, "[") {
		err = json.Unmarshal(data, &sets)
	} else {
		var one zone.RRSet
		err = json.Unmarshal(data, &one)
		sets = []zone.RRSet{one}
	}
	if err != nil {
		return httpkit.BadRequest("want a record set {\"Name\",\"Type\",\"TTL\",\"Records\"} or a list of them: %v", err)
	}
	if _, err := h.change(r.Context(), name, zone.Change{Put: sets}); err != nil {
		return err
	}
	_, all, err := h.readZone(name)
	if err != nil {
		return err
	}
	out := []zone.RRSet{}
	for _, st := range all {
		for _, p := range sets {
			if o, err := zone.Owner(p.Name, name); err == nil && o == st.Name && strings.EqualFold(p.Type, st.Type) {
				out = append(out, st)
			}
		}
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, out)
}

func (h *Handler) deleteRecords(w http.ResponseWriter, r *http.Request) error {
	name, err := pathZone(r)
	if err != nil {
		return err
	}
	owner, err := zone.Owner(r.PathValue("name"), name)
	if err != nil {
		return err
	}
	typ, err := zone.ParseType(r.PathValue("type"))
	if err != nil {
		return err
	}
	if _, err := h.change(r.Context(), name, zone.Change{Delete: []zone.SetKey{{Name: owner, Type: typ}}}); err != nil {
		return err
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, true)
}

// importZone replaces the zone's records from a zone file body.
func (h *Handler) importZone(w http.ResponseWriter, r *http.Request) error {
	name, err := pathZone(r)
	if err != nil {
		return err
	}
	z, sets, err := zone.ParseFile(io.LimitReader(r.Body, maxBody), name, "")
	if err != nil {
		return err
	}
	if cur, _, err := h.readZone(name); err == nil {
		// A zone file carries no transfer policy: keep the zone's.
		z.AlsoNotify, z.AllowTransfer = cur.AlsoNotify, cur.AllowTransfer
	}
	nz, err := h.change(r.Context(), name, zone.Change{Import: true, Settings: z, Put: sets})
	if err != nil {
		return err
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, zone.Summary{Zone: nz.Redacted(), RecordSets: len(sets)})
}

func (h *Handler) exportZone(w http.ResponseWriter, r *http.Request) error {
	name, err := pathZone(r)
	if err != nil {
		return err
	}
	z, sets, err := h.readZone(name)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/dns; charset=utf-8")
	zone.WriteFile(w, z, sets) // a failed write means the client left
	return nil
}
