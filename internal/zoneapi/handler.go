package zoneapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/doctor"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
	"github.com/orbit/orbit/internal/zone"
)

// View is what the API reads: the decoded zones (*view.View).
type View interface {
	Zones() []*view.Zone
	Zone(apex string) (*view.Zone, bool)
	WaitRevision(ctx context.Context, rev int64) error
}

var _ View = (*view.View)(nil)

// Writer writes zones atomically (*store.Store).
type Writer interface {
	ChangeZone(ctx context.Context, name string, ch zone.Change, now time.Time) (*zone.Zone, int64, error)
	DeleteZone(ctx context.Context, name string) (bool, int64, error)
}

var _ Writer = (*store.Store)(nil)

// DNS is what the API asks the DNS server (*dns.Server): what it serves,
// and to return once its answers include a store revision.
type DNS interface {
	Info() doctor.Info
	WaitServing(ctx context.Context, rev int64) error
}

// Deps are the API's collaborators. View and DNS are required; without
// Writer every write answers 500 (no zone writes on this agent).
type Deps struct {
	View   View
	Writer Writer
	DNS    DNS
	Logger *slog.Logger
	// Clock stamps zone serials; nil is the wall clock.
	Clock clockwork.Clock
}

// SettleTimeout bounds how long a write waits for the view and the DNS
// answers to include it.
const SettleTimeout = 30 * time.Second

// Handler serves /v1/dns/...
type Handler struct {
	deps Deps
	kit  *httpkit.Kit
	mux  *httpkit.Mux
}

var _ http.Handler = (*Handler)(nil)

// New builds the handler.
func New(deps Deps) (*Handler, error) {
	if deps.View == nil || deps.DNS == nil {
		return nil, errors.New("zoneapi: a view and a DNS server are required")
	}
	if deps.Clock == nil {
		deps.Clock = clockwork.NewRealClock()
	}
	h := &Handler{deps: deps, kit: &httpkit.Kit{Log: deps.Logger, Clock: deps.Clock}, mux: httpkit.NewMux()}
	h.routes()
	return h, nil
}

func (h *Handler) routes() {
	m := func(pattern string, f httpkit.HandlerFunc) { h.mux.Handle(pattern, h.kit.Handle(f)) }
	m("GET /v1/dns/info", h.info)
	m("GET /v1/dns/zones", h.listZones)
	m("PUT /v1/dns/zones/{zone}", func(w http.ResponseWriter, r *http.Request) error { return h.writeSettings(w, r, true) })
	m("PATCH /v1/dns/zones/{zone}", func(w http.ResponseWriter, r *http.Request) error { return h.writeSettings(w, r, false) })
	m("GET /v1/dns/zones/{zone}", h.getZone)
	m("DELETE /v1/dns/zones/{zone}", h.deleteZone)
	m("GET /v1/dns/zones/{zone}/records", h.listRecords)
	m("PUT /v1/dns/zones/{zone}/records", h.setRecords)
	m("DELETE /v1/dns/zones/{zone}/records/{name}/{type}", h.deleteRecords)
	m("POST /v1/dns/zones/{zone}/import", h.importZone)
	m("GET /v1/dns/zones/{zone}/export", h.exportZone)
	m("POST /v1/dns/zones/{zone}/secure", h.secureZone)
	m("GET /v1/dns/zones/{zone}/dnssec", h.getDNSSEC)
}

// ServeHTTP serves the paths of the package doc.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Patterns lists the routes served (httpkit.Router).
func (h *Handler) Patterns() []string { return h.mux.Patterns() }
