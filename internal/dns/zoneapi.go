package dns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/doctor"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/zone"
)

// maxZoneBody bounds request bodies (a zone file import included).
const maxZoneBody = 16 << 20

// ZoneAPI is the handler of /v1/dns/... that the agent mounts on the API
// listener:
//
//	GET    /v1/dns/info                          server address, domains, upstreams
//	GET    /v1/dns/zones                         list zones
//	PUT    /v1/dns/zones/{zone}                  create a zone (body: optional settings)
//	PATCH  /v1/dns/zones/{zone}                  change a zone's settings
//	GET    /v1/dns/zones/{zone}                  a zone and its record sets
//	DELETE /v1/dns/zones/{zone}                  delete a zone
//	GET    /v1/dns/zones/{zone}/records          list record sets (?name=&type=)
//	PUT    /v1/dns/zones/{zone}/records          set record sets (body: one RRSet or a list)
//	DELETE /v1/dns/zones/{zone}/records/{name}/{type}
//	POST   /v1/dns/zones/{zone}/import           replace the zone's records from a zone file body
//	GET    /v1/dns/zones/{zone}/export           the zone as a zone file
//
// Bad input answers 400 with a message naming the problem; every write
// answers once this agent's view and DNS answers include it.
func (s *Server) ZoneAPI() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/dns/info", s.apiInfo)
	mux.HandleFunc("GET /v1/dns/zones", s.apiListZones)
	mux.HandleFunc("PUT /v1/dns/zones/{zone}", s.apiCreateZone)
	mux.HandleFunc("PATCH /v1/dns/zones/{zone}", s.apiUpdateZone)
	mux.HandleFunc("GET /v1/dns/zones/{zone}", s.apiGetZone)
	mux.HandleFunc("DELETE /v1/dns/zones/{zone}", s.apiDeleteZone)
	mux.HandleFunc("GET /v1/dns/zones/{zone}/records", s.apiListRecords)
	mux.HandleFunc("PUT /v1/dns/zones/{zone}/records", s.apiSetRecords)
	mux.HandleFunc("DELETE /v1/dns/zones/{zone}/records/{name}/{type}", s.apiDeleteRecords)
	mux.HandleFunc("POST /v1/dns/zones/{zone}/import", s.apiImport)
	mux.HandleFunc("GET /v1/dns/zones/{zone}/export", s.apiExport)
	return mux
}

// errBadBody marks undecodable request bodies.
var errBadBody = errors.New("bad request body")

func apiStatus(err error) int {
	switch {
	case errors.Is(err, zone.ErrInvalid), errors.Is(err, errBadBody):
		return http.StatusBadRequest
	case errors.Is(err, zone.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, zone.ErrExists), errors.Is(err, store.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func (s *Server) apiError(w http.ResponseWriter, r *http.Request, err error) {
	code := apiStatus(err)
	msg := err.Error()
	if code == http.StatusInternalServerError {
		s.log.Error("dns api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "internal error: " + msg
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprintln(w, msg)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func decodeBody(r *http.Request, v any) (bool, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxZoneBody+1))
	if err != nil {
		return false, fmt.Errorf("%w: %v", errBadBody, err)
	}
	if len(data) > maxZoneBody {
		return false, fmt.Errorf("%w: body larger than %d bytes", errBadBody, maxZoneBody)
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("%w: %v", errBadBody, err)
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
func (s *Server) readZone(name string) (*zone.Zone, []zone.RRSet, error) {
	vz, ok := s.deps.Catalog.Zone(name)
	if !ok {
		return nil, nil, fmt.Errorf("zone %s: %w", name, zone.ErrNotFound)
	}
	return vz.Zone, vz.Sets, nil
}

// change applies a zone change and waits until the view and the DNS
// answers include it (read-your-writes).
func (s *Server) change(ctx context.Context, name string, ch zone.Change) (*zone.Zone, error) {
	if s.deps.Zones == nil {
		return nil, errors.New("zone writes are not available on this agent")
	}
	z, rev, err := s.deps.Zones.ChangeZone(ctx, name, ch, s.clock.Now())
	if err != nil {
		return nil, err
	}
	return z, s.settle(ctx, rev)
}

func (s *Server) settle(ctx context.Context, rev int64) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.deps.Catalog.WaitRevision(ctx, rev); err != nil {
		return fmt.Errorf("wait for the view to reach revision %d: %w", rev, err)
	}
	if err := s.waitTable(ctx, rev); err != nil {
		return fmt.Errorf("wait for DNS answers to reach revision %d: %w", rev, err)
	}
	return nil
}

func (s *Server) apiInfo(w http.ResponseWriter, r *http.Request) {
	udp, _ := s.Addr()
	info := doctor.Info{Addr: udp.String(), Domain: s.cfg.Domain, AltDomains: s.cfg.AltDomains,
		Datacenter: s.cfg.Datacenter, Forwarding: s.fwd != nil, Upstreams: []string{}, Zones: []string{}}
	if s.fwd != nil {
		for _, u := range s.fwd.upstreams {
			info.Upstreams = append(info.Upstreams, u.String())
		}
	}
	for _, vz := range s.deps.Catalog.Zones() {
		info.Zones = append(info.Zones, vz.Name)
	}
	writeJSON(w, http.StatusOK, info)
}

func (s *Server) apiListZones(w http.ResponseWriter, r *http.Request) {
	out := []zone.Summary{}
	for _, vz := range s.deps.Catalog.Zones() {
		out = append(out, zone.Summary{Zone: *vz.Zone, RecordSets: len(vz.Sets)})
	}
	zone.SortSummaries(out)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiCreateZone(w http.ResponseWriter, r *http.Request) {
	s.writeSettings(w, r, true)
}

func (s *Server) apiUpdateZone(w http.ResponseWriter, r *http.Request) {
	s.writeSettings(w, r, false)
}

func (s *Server) writeSettings(w http.ResponseWriter, r *http.Request, create bool) {
	name, err := pathZone(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var settings zone.Zone
	if !create {
		// PATCH changes only the fields given.
		if cur, _, err := s.readZone(name); err == nil {
			settings = *cur
		}
	}
	given, err := decodeBody(r, &settings)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	ch := zone.Change{Create: create}
	if given || create {
		ch.Settings = &settings
	}
	z, err := s.change(r.Context(), name, ch)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	code := http.StatusOK
	if create {
		code = http.StatusCreated
	}
	writeJSON(w, code, z)
}

func (s *Server) apiGetZone(w http.ResponseWriter, r *http.Request) {
	name, err := pathZone(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	z, sets, err := s.readZone(name)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if sets == nil {
		sets = []zone.RRSet{}
	}
	writeJSON(w, http.StatusOK, zone.Detail{Zone: *z, RRSets: sets})
}

func (s *Server) apiDeleteZone(w http.ResponseWriter, r *http.Request) {
	name, err := pathZone(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if s.deps.Zones == nil {
		s.apiError(w, r, errors.New("zone writes are not available on this agent"))
		return
	}
	ok, rev, err := s.deps.Zones.DeleteZone(r.Context(), name)
	if err == nil && !ok {
		err = fmt.Errorf("zone %s: %w", name, zone.ErrNotFound)
	}
	if err == nil {
		err = s.settle(r.Context(), rev)
	}
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, true)
}

func (s *Server) apiListRecords(w http.ResponseWriter, r *http.Request) {
	name, err := pathZone(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	_, sets, err := s.readZone(name)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := []zone.RRSet{}
	owner, typ := r.URL.Query().Get("name"), strings.ToUpper(r.URL.Query().Get("type"))
	if owner != "" {
		if owner, err = zone.Owner(owner, name); err != nil {
			s.apiError(w, r, err)
			return
		}
	}
	for _, st := range sets {
		if (owner == "" || st.Name == owner) && (typ == "" || st.Type == typ) {
			out = append(out, st)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiSetRecords(w http.ResponseWriter, r *http.Request) {
	name, err := pathZone(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxZoneBody))
	if err != nil {
		s.apiError(w, r, fmt.Errorf("%w: %v", errBadBody, err))
		return
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
		s.apiError(w, r, fmt.Errorf("%w: want a record set {\"Name\",\"Type\",\"TTL\",\"Records\"} or a list of them: %v", errBadBody, err))
		return
	}
	if _, err := s.change(r.Context(), name, zone.Change{Put: sets}); err != nil {
		s.apiError(w, r, err)
		return
	}
	_, all, err := s.readZone(name)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := []zone.RRSet{}
	for _, st := range all {
		for _, p := range sets {
			if o, err := zone.Owner(p.Name, name); err == nil && o == st.Name && strings.EqualFold(p.Type, st.Type) {
				out = append(out, st)
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiDeleteRecords(w http.ResponseWriter, r *http.Request) {
	name, err := pathZone(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	owner, err := zone.Owner(r.PathValue("name"), name)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	typ, err := zone.ParseType(r.PathValue("type"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if _, err := s.change(r.Context(), name, zone.Change{Delete: []zone.SetKey{{Name: owner, Type: typ}}}); err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, true)
}

func (s *Server) apiImport(w http.ResponseWriter, r *http.Request) {
	name, err := pathZone(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	z, sets, err := zone.ParseFile(io.LimitReader(r.Body, maxZoneBody), name, "")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if cur, _, err := s.readZone(name); err == nil {
		// A zone file carries no transfer policy: keep the zone's.
		z.AlsoNotify, z.AllowTransfer = cur.AlsoNotify, cur.AllowTransfer
	}
	nz, err := s.change(r.Context(), name, zone.Change{Import: true, Settings: z, Put: sets})
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, zone.Summary{Zone: *nz, RecordSets: len(sets)})
}

func (s *Server) apiExport(w http.ResponseWriter, r *http.Request) {
	name, err := pathZone(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	z, sets, err := s.readZone(name)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/dns; charset=utf-8")
	_ = zone.WriteFile(w, z, sets)
}
