package nomadapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/nomadwire"
	"github.com/orbit/orbit/internal/store"
)

// Scheduler algorithms Nomad accepts.
const (
	algoBinpack = "binpack"
	algoSpread  = "spread"
)

// defaultSchedulerConfig is Nomad's configuration of a fresh cluster.
func defaultSchedulerConfig() *nomadwire.SchedulerConfiguration {
	return &nomadwire.SchedulerConfiguration{SchedulerAlgorithm: algoBinpack,
		PreemptionConfig: nomadwire.PreemptionConfig{SystemSchedulerEnabled: true}}
}

// schedulerConfig reads the stored configuration (the default when none
// was written) and the mod revision of its key (0: none).
func (h *Handler) schedulerConfig(ctx context.Context) (*nomadwire.SchedulerConfiguration, int64, error) {
	kv, err := h.store.Get(ctx, store.SchedConfigKey())
	if errors.Is(err, store.ErrNotFound) {
		return defaultSchedulerConfig(), 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read scheduler configuration: %w", err)
	}
	c := defaultSchedulerConfig()
	if err := json.Unmarshal(kv.Value, c); err != nil {
		return nil, 0, fmt.Errorf("decode scheduler configuration: %w", err)
	}
	c.CreateIndex, c.ModifyIndex = uint64(kv.CreateRevision), uint64(kv.ModRevision)
	return c, kv.ModRevision, nil
}

// SchedulerPaused reports whether the operator paused the evaluation
// broker (SchedulerConfiguration.PauseEvalBroker), as Nomad requires
// before deleting evaluations.
func (h *Handler) SchedulerPaused(ctx context.Context) (bool, error) {
	c, _, err := h.schedulerConfig(ctx)
	if err != nil {
		return false, err
	}
	return c.PauseEvalBroker, nil
}

func (h *Handler) getSchedulerConfig(w http.ResponseWriter, r *http.Request) error {
	idx, err := h.block(r, store.FamilySchedConfig)
	if err != nil {
		return err
	}
	c, rev, err := h.schedulerConfig(r.Context())
	if err != nil {
		return err
	}
	idx = max(idx, uint64(rev), 1)
	httpkit.SetMeta(w, httpkit.Nomad, httpkit.Meta{Index: idx, KnownLeader: true})
	return httpkit.WriteJSON(w, r, http.StatusOK, &nomadwire.SchedulerConfigurationResponse{SchedulerConfig: c, Index: idx, KnownLeader: true})
}

// putSchedulerConfig replaces the configuration; with ?cas=N only when
// its ModifyIndex is still N (Updated false otherwise).
func (h *Handler) putSchedulerConfig(w http.ResponseWriter, r *http.Request) error {
	var c nomadwire.SchedulerConfiguration
	if err := decode(r, &c); err != nil {
		return err
	}
	switch c.SchedulerAlgorithm {
	case "":
		c.SchedulerAlgorithm = algoBinpack
	case algoBinpack, algoSpread:
	default:
		return httpkit.Errorf(http.StatusBadRequest, "invalid scheduler algorithm: %s", c.SchedulerAlgorithm)
	}
	c.CreateIndex, c.ModifyIndex = 0, 0
	b, err := json.Marshal(&c)
	if err != nil {
		return fmt.Errorf("encode scheduler configuration: %w", err)
	}
	var cmps []store.Cmp
	if s := r.URL.Query().Get("cas"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return httpkit.Errorf(http.StatusBadRequest, "Error parsing cas value: %q", s)
		}
		cmps = []store.Cmp{{Key: store.SchedConfigKey(), ModRevision: n}}
	}
	ok, rev, err := h.store.Txn(r.Context(), cmps, []store.Op{store.Put(store.SchedConfigKey(), b)})
	if err != nil {
		return fmt.Errorf("write scheduler configuration: %w", err)
	}
	if err := h.view.WaitRevision(r.Context(), rev); err != nil {
		return err
	}
	httpkit.SetMeta(w, httpkit.Nomad, httpkit.Meta{Index: uint64(rev), KnownLeader: true})
	return httpkit.WriteJSON(w, r, http.StatusOK, &nomadwire.SchedulerSetConfigurationResponse{Updated: ok, Index: uint64(rev)})
}
