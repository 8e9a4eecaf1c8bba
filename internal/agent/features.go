package agent

import (
	"context"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// startFeatures starts the role-dependent features (DNS, edge, scheduler,
// client) that mount on or sit beside the API.
func (a *Agent) startFeatures(ctx context.Context, run func(string, func(context.Context) error)) error {
	return nil
}

// mounts are the handlers other features serve on the API listener.
func (a *Agent) mounts() map[string]http.Handler {
	m := map[string]http.Handler{
		"/v1/agent/metrics": promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{}),
		"/metrics":          promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{}),
	}
	return m
}
