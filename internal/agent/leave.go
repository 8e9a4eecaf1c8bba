package agent

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/api"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/store"
)

// leavePath is Consul's PUT /v1/agent/leave: a graceful leave of the
// cluster, then the agent's shutdown.
const leavePath = "/v1/agent/leave"

// leftFile, in a server's data directory, records that the server left its
// store cluster: its member was removed, so the directory cannot serve
// again and a restart on it is refused with advice.
const leftFile = "left"

// leaveTimeout bounds a leave that waits for an unsettled cluster.
const leaveTimeout = 30 * time.Second

// leaveHandler answers PUT /v1/agent/leave (agent:write on this node, as
// in Consul). A server with an embedded member removes that member from
// the store cluster first, which lowers the quorum; a client agent
// deregisters its node. Only once that succeeded does it answer 200 and
// shut down; a refused leave (the last voter, a cluster that stays
// unsettled) answers an error and the agent keeps running.
func (a *Agent) leaveHandler() http.Handler {
	kit := httpkit.New(a.log.With("component", "leave"), a.auth, a.clock)
	return kit.Handle(func(w http.ResponseWriter, r *http.Request) error {
		if r.URL.Path != leavePath {
			return fmt.Errorf("%w: %s", httpkit.ErrNotFound, r.URL.Path)
		}
		if r.Method != http.MethodPut && r.Method != http.MethodPost {
			return httpkit.Errorf(http.StatusMethodNotAllowed, "%s %s: use PUT", r.Method, r.URL.Path)
		}
		if err := kit.Authorize(r, acl.Rule{Resource: acl.Agent, Segment: a.cfg.NodeName, Access: acl.Write}); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(r.Context(), leaveTimeout)
		defer cancel()
		if err := a.leave(ctx); err != nil {
			return err
		}
		w.WriteHeader(http.StatusOK)
		return nil
	})
}

// leave leaves the cluster and tells Run to stop.
func (a *Agent) leave(ctx context.Context) error {
	a.leaving.Store(true)
	if err := a.leaveCluster(ctx); err != nil {
		a.leaving.Store(false)
		return err
	}
	a.leaveOnce.Do(func() { close(a.left) })
	return nil
}

func (a *Agent) leaveCluster(ctx context.Context) error {
	if !a.cfg.Server || !a.store.Embedded() {
		if _, err := a.store.DeregisterNode(ctx, a.cfg.NodeName); err != nil {
			return fmt.Errorf("leave: %w", err)
		}
		a.log.Info("left the cluster: node deregistered; stopping")
		return nil
	}
	err := a.store.Leave(ctx)
	switch {
	case errors.Is(err, store.ErrLastVoter):
		return &httpkit.Error{Code: http.StatusConflict, Public: err.Error() + " (add another server first, or stop this one)", Cause: err}
	case errors.Is(err, store.ErrUnsettled):
		return &httpkit.Error{Code: http.StatusServiceUnavailable, Public: err.Error(), Cause: err}
	case err != nil:
		return err
	}
	note := fmt.Sprintf("node %s left its store cluster at %s (orbit leave)\n", a.cfg.NodeName, a.clock.Now().UTC().Format(time.RFC3339))
	if werr := os.WriteFile(filepath.Join(a.dataDir, leftFile), []byte(note), 0o600); werr != nil {
		a.log.Warn("left the store cluster, but could not mark the data directory", "err", werr)
	}
	a.log.Info("left the store cluster; stopping")
	return nil
}

// checkNotLeft refuses to start a server on a data directory whose member
// left its cluster.
func checkNotLeft(dataDir string) error {
	b, err := os.ReadFile(filepath.Join(dataDir, leftFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", filepath.Join(dataDir, leftFile), err)
	}
	return fmt.Errorf("%s; its store is no longer a member of any cluster: start the server with an empty -data-dir (and -retry-join) to join again",
		strings.TrimSpace(string(b)))
}

// serverForceLeaver removes a failed server's member from the store
// cluster on force-leave (api.ServerForceLeaver).
type serverForceLeaver struct {
	store *store.Store
	log   *slog.Logger
}

var _ api.ServerForceLeaver = serverForceLeaver{}

func (f serverForceLeaver) ForceLeaveServer(ctx context.Context, node string) error {
	servers, _, err := f.store.Servers(ctx)
	if err != nil {
		return fmt.Errorf("force-leave %q: %w", node, err)
	}
	var sv store.Server
	found := false
	for _, s := range servers {
		if s.Node == node {
			sv, found = s, true
		}
	}
	if !found || sv.ID == f.store.MemberID() {
		return nil // no server, or this one (alive: it answers)
	}
	err = f.store.RemoveServer(ctx, sv)
	switch {
	case errors.Is(err, store.ErrUnsettled):
		return &httpkit.Error{Code: http.StatusServiceUnavailable, Public: err.Error(), Cause: err}
	case errors.Is(err, store.ErrLastVoter):
		return &httpkit.Error{Code: http.StatusConflict, Public: err.Error(), Cause: err}
	case err != nil:
		return fmt.Errorf("force-leave %q: %w", node, err)
	}
	f.log.Info("force-leave: removed failed server from the store cluster", "node", node, "member", sv.MemberHex())
	return nil
}

// forceLeaver is the force-leave's server removal: a store of several
// servers (embedded members, or a client agent reaching theirs) has one;
// an external etcd has no orbit servers to remove.
func (a *Agent) forceLeaver() api.ServerForceLeaver {
	if a.cfg.Store != "" {
		return nil
	}
	return serverForceLeaver{store: a.store, log: a.log.With("component", "force-leave")}
}
