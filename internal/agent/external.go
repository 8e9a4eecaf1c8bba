package agent

import (
	"context"
	"fmt"

	"github.com/orbit/orbit/internal/external"
	"github.com/orbit/orbit/internal/health"
)

// externalWorkers bounds the checks of one external node run at once.
const externalWorkers = 4

// startExternal registers the config's external blocks and runs, on every
// agent, the checks of external nodes that this agent owns.
func (a *Agent) startExternal(ctx context.Context, run func(string, func(context.Context) error)) error {
	if err := external.RegisterDeclared(ctx, a.view, a.store, a.cfg.External); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	newChecks := func(node string, src external.CheckSource) (external.CheckRunner, error) {
		return health.New(health.Config{Node: node, Workers: externalWorkers, Clock: a.clock,
			Logger: a.log.With("external", node)}, src, a.store)
	}
	r, err := external.New(external.Config{Node: a.cfg.NodeName, NewChecks: newChecks, Logger: a.log}, a.view, a.store)
	if err != nil {
		return fmt.Errorf("external checks: %w", err)
	}
	run("external", r.Run)
	return nil
}
