package agent

import (
	"net/http"

	"github.com/orbit/orbit/internal/api"
	"github.com/orbit/orbit/internal/ui"
)

// uiMount is the web UI at /ui/. It is public: the shell needs no token and
// each page's content is read with the caller's token, through this
// agent's own API (a.api, set before the listener serves).
func (a *Agent) uiMount() (api.Mount, error) {
	h, err := ui.New(ui.Deps{View: a.view, Auth: a.auth, Clock: a.clock,
		API:    http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { a.api.ServeHTTP(w, r) }),
		Logger: a.log.With("component", "ui"), Node: a.cfg.NodeName, Datacenter: a.cfg.Datacenter})
	if err != nil {
		return api.Mount{}, err
	}
	return api.Mount{Prefix: ui.Prefix, Public: true, Handler: h}, nil
}
