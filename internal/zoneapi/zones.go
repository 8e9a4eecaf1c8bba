package zoneapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/zone"
)

// maxBody bounds request bodies (a zone file import included).
const maxBody = 16 << 20

// errNoWriter answers writes on an agent built without a zone writer.
var errNoWriter = errors.New("zone writes are not available on this agent")

// readBody reads a request body of at most maxBody bytes.
func readBody(r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, httpkit.BadRequest("read request body: %v", err)
	}
	if len(data) > maxBody {
		return nil, httpkit.BadRequest("request body larger than %d bytes", maxBody)
	}
	return data, nil
}

// decodeBody decodes a JSON body into v; it reports false for an empty body.
func decodeBody(r *http.Request, v any) (bool, error) {
	data, err := readBody(r)
	if err != nil {
		return false, err
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, httpkit.BadRequest("request body: %v", err)
	}
	return true, nil
}

func pathZone(r *http.Request) (string, error) {
	name, err := zone.Canonical(r.PathValue("zone"))
	if err != nil {
		return "", fmt.Errorf("zone name: %w", err)
	}
	return name, nil
}

// readZone reads a zone from the view.
func (h *Handler) readZone(name string) (*zone.Zone, []zone.RRSet, error) {
	vz, ok := h.deps.View.Zone(name)
	if !ok {
		return nil, nil, fmt.Errorf("zone %s: %w", name, zone.ErrNotFound)
	}
	return vz.Zone, vz.Sets, nil
}

// change applies a zone change and waits until the view and the DNS
// answers include it (read-your-writes).
func (h *Handler) change(ctx context.Context, name string, ch zone.Change) (*zone.Zone, error) {
	if h.deps.Writer == nil {
		return nil, errNoWriter
	}
	z, rev, err := h.deps.Writer.ChangeZone(ctx, name, ch, h.deps.Clock.Now())
	if err != nil {
		return nil, err
	}
	return z, h.settle(ctx, rev)
}

func (h *Handler) settle(ctx context.Context, rev int64) error {
	ctx, cancel := context.WithTimeout(ctx, SettleTimeout)
	defer cancel()
	if err := h.deps.View.WaitRevision(ctx, rev); err != nil {
		return fmt.Errorf("wait for the view to reach revision %d: %w", rev, err)
	}
	if err := h.deps.DNS.WaitServing(ctx, rev); err != nil {
		return fmt.Errorf("wait for DNS answers to reach revision %d: %w", rev, err)
	}
	return nil
}

func (h *Handler) info(w http.ResponseWriter, r *http.Request) error {
	info := h.deps.DNS.Info()
	info.Zones = []string{}
	for _, vz := range h.deps.View.Zones() {
		info.Zones = append(info.Zones, vz.Name)
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, info)
}

func (h *Handler) listZones(w http.ResponseWriter, r *http.Request) error {
	out := []zone.Summary{}
	for _, vz := range h.deps.View.Zones() {
		out = append(out, zone.Summary{Zone: vz.Zone.Redacted(), RecordSets: len(vz.Sets)})
	}
	zone.SortSummaries(out)
	return httpkit.WriteJSON(w, r, http.StatusOK, out)
}

// writeSettings creates a zone (PUT) or changes the settings given (PATCH).
func (h *Handler) writeSettings(w http.ResponseWriter, r *http.Request, create bool) error {
	name, err := pathZone(r)
	if err != nil {
		return err
	}
	var settings zone.Zone
	if !create {
		// PATCH changes only the fields given.
		if cur, _, err := h.readZone(name); err == nil {
			settings = *cur
		}
	}
	given, err := decodeBody(r, &settings)
	if err != nil {
		return err
	}
	ch := zone.Change{Create: create}
	if given || create {
		ch.Settings = &settings
	}
	z, err := h.change(r.Context(), name, ch)
	if err != nil {
		return err
	}
	code := http.StatusOK
	if create {
		code = http.StatusCreated
	}
	return httpkit.WriteJSON(w, r, code, z.Redacted())
}

func (h *Handler) getZone(w http.ResponseWriter, r *http.Request) error {
	name, err := pathZone(r)
	if err != nil {
		return err
	}
	z, sets, err := h.readZone(name)
	if err != nil {
		return err
	}
	if sets == nil {
		sets = []zone.RRSet{}
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, zone.Detail{Zone: z.Redacted(), RRSets: sets})
}

func (h *Handler) deleteZone(w http.ResponseWriter, r *http.Request) error {
	name, err := pathZone(r)
	if err != nil {
		return err
	}
	if h.deps.Writer == nil {
		return errNoWriter
	}
	ok, rev, err := h.deps.Writer.DeleteZone(r.Context(), name)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("zone %s: %w", name, zone.ErrNotFound)
	}
	if err := h.settle(r.Context(), rev); err != nil {
		return err
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, true)
}
