package nomadapi

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/view"
)

func newUUID() string { return uuid.NewString() }

// nodesFamily stands for the view's node list and liveness in block.
const nodesFamily = "\x00nodes"

// block runs the one blocking query (httpkit.Block, Nomad's dialect) over the
// given key families: with ?index=N it waits until one of them changes
// past N or ?wait (default five minutes, at most MaxWait) passes, then
// returns the families' highest index for X-Nomad-Index.
func (h *Handler) block(r *http.Request, families ...string) (uint64, error) {
	current := func() uint64 {
		var i uint64
		for _, f := range families {
			res := view.FamilyRes(f)
			if f == nodesFamily {
				res = view.NodesRes
			}
			i = max(i, h.view.Index(res))
		}
		return i
	}
	q, err := httpkit.ParseQuery(r, httpkit.Nomad, h.cfg.MaxWait)
	if err != nil {
		return 0, err
	}
	wait := func(ctx context.Context, index uint64) {
		changed, stop := h.view.Subscribe()
		defer stop()
		for current() <= index {
			select {
			case <-ctx.Done():
				return
			case <-changed:
			}
		}
	}
	// The client leaving ends the request: its answer goes nowhere.
	h.kit.Block(r.Context(), q, wait)
	return current(), nil
}
