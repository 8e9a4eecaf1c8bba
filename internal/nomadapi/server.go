package nomadapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

// Admitter judges a job before it is registered: an error refuses it (the
// client gets a 400 with the message), warnings are returned to the client
// and recorded on the job version. The agent wires the standards policy in.
type Admitter interface {
	Admit(ctx context.Context, j *job.Job) (warnings []string, err error)
}

// Planner is a dry run of the scheduler for /v1/job/:id/plan
// (scheduler.Server satisfies it).
type Planner interface {
	PlanJob(ctx context.Context, j *job.Job) (*job.PlanSummary, error)
}

// LogReader opens the stdout or stderr of a task of an allocation on this
// node (the client implements it; see the contract). origin is "start" or
// "end"; offset counts from it. With follow the reader keeps returning data
// as the task writes until ctx ends or the task is dead. An allocation or
// task not on this node gives an error wrapping fs.ErrNotExist.
type LogReader interface {
	OpenLog(ctx context.Context, allocID, task, stream string, offset int64, origin string, follow bool) (io.ReadCloser, error)
}

// Store is the part of store the API writes through.
type Store interface {
	RegisterJob(ctx context.Context, r store.JobRegistration) (store.JobRegistered, error)
	StopJob(ctx context.Context, ns, id string, purge bool, eval *job.Evaluation, now time.Time) (int64, error)
	PutEval(ctx context.Context, evals ...*job.Evaluation) (int64, error)
	nodeStore
}

var _ Store = (*store.Store)(nil)

// View is the part of the view the API reads.
type View interface {
	JobHeads() []view.Item[job.Head]
	JobHead(ns, id string) (view.Item[job.Head], bool)
	JobVersion(ns, id string, version uint64) (view.Item[job.Version], bool)
	JobVersions(ns, id string) []view.Item[job.Version]
	Allocs() []view.AllocState
	Alloc(id string) (view.AllocState, bool)
	JobAllocs(ns, id string) []view.AllocState
	NodeAllocs(node string) []view.AllocState
	Evals() []view.Item[job.Evaluation]
	Eval(id string) (view.Item[job.Evaluation], bool)
	JobEvals(ns, id string) []view.Item[job.Evaluation]
	Deployments() []view.Item[job.Deployment]
	Deployment(id string) (view.Item[job.Deployment], bool)
	JobDeployments(ns, id string) []view.Item[job.Deployment]
	NodeInfos() []view.Item[job.NodeInfo]
	NodeInfo(node string) (view.Item[job.NodeInfo], bool)
	Alive(node string) bool
	Index(res view.Resource) uint64
	Subscribe() (<-chan struct{}, func())
	WaitRevision(ctx context.Context, rev int64) error
	nodeView
}

var _ View = (*view.View)(nil)

// Config configures the handler. The zero value works.
type Config struct {
	// NodeName is the local node: logs of its allocations are read through
	// Logs; others are proxied to their node's agent.
	NodeName string
	// Region and Datacenter are reported where Nomad reports them.
	Region, Datacenter string
	Admitter           Admitter
	Planner            Planner
	Logs               LogReader
	// MaxWait caps a blocking query's wait; 0 means 10 minutes (Nomad's).
	MaxWait time.Duration
	Clock   clockwork.Clock
	Logger  *slog.Logger
	// NewID makes evaluation IDs; nil makes random UUIDs.
	NewID func() string
	// HTTPClient proxies log requests to other nodes; nil uses a default.
	HTTPClient *http.Client
}

// Handler is the Nomad-compatible API.
type Handler struct {
	cfg   Config
	store Store
	view  View
	log   *slog.Logger
	kit   *httpkit.Kit
	mux   *httpkit.Mux
}

var _ http.Handler = (*Handler)(nil)

// New returns the handler over st and v.
func New(cfg Config, st Store, v View) (*Handler, error) {
	if cfg.MaxWait < 0 {
		return nil, errors.New("nomadapi: MaxWait must not be negative")
	}
	if cfg.MaxWait == 0 {
		cfg.MaxWait = 10 * time.Minute
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.NewID == nil {
		cfg.NewID = newUUID
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.Region == "" {
		cfg.Region = job.DefaultRegion
	}
	h := &Handler{cfg: cfg, store: st, view: v, log: cfg.Logger, mux: httpkit.NewMux(),
		kit: &httpkit.Kit{Log: cfg.Logger, Clock: cfg.Clock}}
	h.routes()
	return h, nil
}

// ServeHTTP serves the /v1/ paths listed in the package doc.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Patterns lists the routes served (httpkit.Router).
func (h *Handler) Patterns() []string { return h.mux.Patterns() }

func (h *Handler) routes() {
	m := func(pattern string, f httpkit.HandlerFunc) { h.mux.Handle(pattern, h.kit.Handle(f)) }
	m("GET /v1/jobs", h.listJobs)
	m("PUT /v1/jobs", h.registerJob)
	m("POST /v1/jobs", h.registerJob)
	m("PUT /v1/jobs/parse", h.parseJob)
	m("POST /v1/jobs/parse", h.parseJob)
	m("GET /v1/job/{id}", h.getJob)
	m("PUT /v1/job/{id}", h.registerJob)
	m("POST /v1/job/{id}", h.registerJob)
	m("DELETE /v1/job/{id}", h.stopJob)
	m("GET /v1/job/{id}/allocations", h.jobAllocations)
	m("GET /v1/job/{id}/evaluations", h.jobEvaluations)
	m("GET /v1/job/{id}/deployments", h.jobDeployments)
	m("GET /v1/job/{id}/deployment", h.jobLatestDeployment)
	m("GET /v1/job/{id}/versions", h.jobVersions)
	m("GET /v1/job/{id}/summary", h.jobSummary)
	m("PUT /v1/job/{id}/revert", h.revertJob)
	m("POST /v1/job/{id}/revert", h.revertJob)
	m("PUT /v1/job/{id}/plan", h.planJob)
	m("POST /v1/job/{id}/plan", h.planJob)
	m("GET /v1/allocations", h.listAllocations)
	m("GET /v1/allocation/{id}", h.getAllocation)
	m("GET /v1/evaluations", h.listEvaluations)
	m("GET /v1/evaluation/{id}", h.getEvaluation)
	m("GET /v1/evaluation/{id}/allocations", h.evalAllocations)
	m("GET /v1/deployments", h.listDeployments)
	m("GET /v1/deployment/{id}", h.getDeployment)
	m("GET /v1/deployment/allocations/{id}", h.deploymentAllocations)
	m("PUT /v1/deployment/promote/{id}", h.promoteDeployment)
	m("POST /v1/deployment/promote/{id}", h.promoteDeployment)
	m("GET /v1/nodes", h.listNodes)
	m("GET /v1/node/{id}", h.getNode)
	m("GET /v1/node/{id}/allocations", h.nodeAllocations)
	m("GET /v1/client/fs/logs/{alloc}", h.logs)
	m("GET /v1/status/leader", h.statusLeader)
	h.jobRoutes(m)
	h.nodeRoutes(m)
	h.lifecycleRoutes(m)
}

// reply writes v as JSON with Nomad's query metadata: the index (never
// below 1), a known leader (the etcd cluster answers) and no staleness.
func (h *Handler) reply(w http.ResponseWriter, r *http.Request, index uint64, v any) error {
	httpkit.SetMeta(w, httpkit.Nomad, httpkit.Meta{Index: index, KnownLeader: true})
	return httpkit.WriteJSON(w, r, http.StatusOK, v)
}

func (h *Handler) statusLeader(w http.ResponseWriter, r *http.Request) error {
	return h.reply(w, r, 1, r.Host)
}

// decode reads a JSON request body into v.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 16<<20))
	if err := dec.Decode(v); err != nil {
		return httpkit.Errorf(http.StatusBadRequest, "invalid request body: %v", err)
	}
	return nil
}
