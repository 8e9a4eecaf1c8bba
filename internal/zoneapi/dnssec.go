package zoneapi

import (
	"fmt"
	"net/http"

	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/zone"
)

// secureZone turns on online signing with a new key (as `pdnsutil
// secure-zone`); a zone already secured keeps its key.
func (h *Handler) secureZone(w http.ResponseWriter, r *http.Request) error {
	name, err := pathZone(r)
	if err != nil {
		return err
	}
	cur, _, err := h.readZone(name)
	if err != nil {
		return err
	}
	if cur.DNSSEC != nil {
		return httpkit.WriteJSON(w, r, http.StatusOK, cur.DNSSECInfo())
	}
	key, err := zone.GenerateDNSSEC(name)
	if err != nil {
		return err
	}
	settings := *cur
	settings.DNSSEC = key
	z, err := h.change(r.Context(), name, zone.Change{Settings: &settings})
	if err != nil {
		return err
	}
	return httpkit.WriteJSON(w, r, http.StatusCreated, z.DNSSECInfo())
}

// getDNSSEC shows a secured zone's DNSKEY and DS records.
func (h *Handler) getDNSSEC(w http.ResponseWriter, r *http.Request) error {
	name, err := pathZone(r)
	if err != nil {
		return err
	}
	z, _, err := h.readZone(name)
	if err != nil {
		return err
	}
	if z.DNSSEC == nil {
		return fmt.Errorf("zone %s is not signed (secure it with POST /v1/dns/zones/%s/secure): %w", name, name, zone.ErrNotFound)
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, z.DNSSECInfo())
}
