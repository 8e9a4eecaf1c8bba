package nomadapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/orbit/orbit/internal/view"
)

func newUUID() string { return uuid.NewString() }

// nodesFamily stands for the view's node list and liveness in block.
const nodesFamily = "\x00nodes"

// block implements a blocking query over the given key families: with
// ?index=N it waits until one of them changes past N or ?wait (default
// five minutes, at most MaxWait) passes, then returns the families'
// highest index for X-Nomad-Index.
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
	q := r.URL.Query()
	idx := current()
	if q.Get("index") == "" {
		return idx, nil
	}
	want, err := strconv.ParseUint(q.Get("index"), 10, 64)
	if err != nil {
		return 0, errorf(http.StatusBadRequest, "invalid index %q", q.Get("index"))
	}
	wait := 5 * time.Minute
	if s := q.Get("wait"); s != "" {
		if wait, err = parseWait(s); err != nil {
			return 0, errorf(http.StatusBadRequest, "invalid wait %q", s)
		}
	}
	wait = min(wait, h.cfg.MaxWait)
	// Nomad adds up to wait/16 of jitter so many watchers do not return
	// together; a fixed bound is enough here.
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	changed, stop := h.view.Subscribe()
	defer stop()
	for idx <= want {
		select {
		case <-ctx.Done():
			return idx, nil
		case <-changed:
			idx = current()
		}
	}
	return idx, nil
}

// parseWait reads Nomad's wait parameter: a Go duration, or plain seconds.
func parseWait(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(s)
}
