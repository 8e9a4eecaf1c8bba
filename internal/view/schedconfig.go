package view

import (
	"encoding/json"

	"github.com/orbit/orbit/internal/store"
)

// applySchedConfig keeps the one field of the scheduler configuration
// (the Nomad API's JSON at store.SchedConfigKey) the scheduler obeys.
func (v *View) applySchedConfig(ev store.Event) {
	if ev.Delete {
		v.jobs.evalsPaused = false
		return
	}
	var c struct{ PauseEvalBroker bool }
	if err := json.Unmarshal(ev.KV.Value, &c); err != nil {
		v.log.Error("skip undecodable scheduler configuration", "key", ev.KV.Key, "err", err)
		return
	}
	v.jobs.evalsPaused = c.PauseEvalBroker
}

// EvalBrokerPaused reports whether the scheduler configuration pauses
// the processing of evaluations (Nomad's PauseEvalBroker).
func (v *View) EvalBrokerPaused() bool {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.jobs.evalsPaused
}
