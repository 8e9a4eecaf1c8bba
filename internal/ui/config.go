package ui

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/view"
)

// Prefix is where the agent mounts the UI.
const Prefix = "/ui"

// View is what the UI reads from the agent's in-memory view.
type View interface {
	Revision() uint64
	WaitRevision(ctx context.Context, rev int64) error
	Nodes() []*catalog.Node
	Alive(name string) bool
	ServiceNames() []string
	Entries(service string) []view.Entry
	NodeChecks(node string) []*catalog.Check
	NodeInstances(node string) []*catalog.Instance
}

var _ View = (*view.View)(nil)

// Deps are the agent's parts the UI reads through.
type Deps struct {
	// View is the agent's view (required).
	View View
	// API is the agent's whole HTTP API, asked in process with the
	// caller's token (required).
	API http.Handler
	// Auth answers the per-item ACL questions of the view-backed pages;
	// nil allows everything (ACLs off).
	Auth acl.Authorizer
	// Logger gets render failures; nil discards.
	Logger *slog.Logger
	// Clock times blocking waits; nil is the wall clock.
	Clock clockwork.Clock
	// Node and Datacenter name this agent in the header.
	Node, Datacenter string
}

func (d Deps) validate() error {
	if d.View == nil || d.API == nil {
		return errors.New("ui: View and API are required")
	}
	return nil
}
