package nomadapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"

	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/job"
)

// streamFrame is Nomad's StreamFrame.
type streamFrame struct {
	Offset    int64  `json:",omitempty"`
	Data      []byte `json:",omitempty"`
	File      string `json:",omitempty"`
	FileEvent string `json:",omitempty"`
}

// logs serves /v1/client/fs/logs/:alloc: locally through LogReader for
// this node's allocations, else proxied to the allocation's node.
func (h *Handler) logs(w http.ResponseWriter, r *http.Request) error {
	s, ok := h.view.Alloc(r.PathValue("alloc"))
	if !ok {
		return httpkit.Errorf(http.StatusNotFound, "alloc not found")
	}
	a := s.Alloc.V
	q := r.URL.Query()
	task, stream := q.Get("task"), q.Get("type")
	if task == "" {
		return httpkit.Errorf(http.StatusBadRequest, "must provide task name")
	}
	if stream != "stdout" && stream != "stderr" {
		return httpkit.Errorf(http.StatusBadRequest, "type must be stdout or stderr")
	}
	if a.Node != h.cfg.NodeName || h.cfg.Logs == nil {
		return h.proxyLogs(w, r, a)
	}
	offset, _ := strconv.ParseInt(q.Get("offset"), 10, 64)
	origin := q.Get("origin")
	if origin == "" {
		origin = "start"
	}
	rc, err := h.cfg.Logs.OpenLog(r.Context(), a.ID, task, stream, offset, origin, q.Get("follow") == "true")
	if errors.Is(err, fs.ErrNotExist) {
		return httpkit.Errorf(http.StatusNotFound, "no %s log for task %q of allocation %s", stream, task, a.ID)
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	if q.Get("plain") == "true" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		copyFlushing(w, rc)
		return nil
	}
	w.Header().Set("Content-Type", "application/json")
	h.frames(w, rc, "alloc/logs/"+task+"."+stream+".0", offset)
	return nil
}

// frames streams rc as JSON StreamFrames, flushing each.
func (h *Handler) frames(w http.ResponseWriter, rc io.Reader, file string, offset int64) {
	enc := json.NewEncoder(w)
	fl, _ := w.(http.Flusher)
	buf := make([]byte, 32<<10)
	for {
		n, err := rc.Read(buf)
		if n > 0 {
			offset += int64(n)
			if enc.Encode(streamFrame{Offset: offset, Data: buf[:n], File: file}) != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
		}
		if err != nil {
			return
		}
	}
}

func copyFlushing(w http.ResponseWriter, rc io.Reader) {
	fl, _ := w.(http.Flusher)
	buf := make([]byte, 32<<10)
	for {
		n, err := rc.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
		}
		if err != nil {
			return
		}
	}
}

// proxyLogs forwards the request to the agent of the allocation's node.
func (h *Handler) proxyLogs(w http.ResponseWriter, r *http.Request, a *job.Allocation) error {
	n, ok := h.view.NodeInfo(a.Node)
	if !ok || n.V.HTTPAddr == "" || a.Node == h.cfg.NodeName {
		return httpkit.Errorf(http.StatusNotFound, "the logs of allocation %s are on node %q, which cannot be reached", a.ID, a.Node)
	}
	u := url.URL{Scheme: "http", Host: n.V.HTTPAddr, Path: r.URL.Path, RawQuery: r.URL.RawQuery}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	// The node's agent asks its authorizer too: pass the token on.
	for _, k := range []string{"X-Nomad-Token", "X-Consul-Token", "Authorization"} {
		if v := r.Header.Get(k); v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := h.cfg.HTTPClient.Do(req)
	if err != nil {
		return &httpkit.Error{Code: http.StatusBadGateway, Public: fmt.Sprintf("the agent of node %q did not answer", a.Node), Cause: err}
	}
	defer resp.Body.Close()
	for _, k := range []string{"Content-Type"} {
		w.Header().Set(k, resp.Header.Get(k))
	}
	w.WriteHeader(resp.StatusCode)
	copyFlushing(w, resp.Body)
	return nil
}
