package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
)

// reqCtx is one fragment request: the token it carries, the rest of its
// path and its query.
type reqCtx struct {
	s    *Server
	r    *http.Request
	rest []string
	q    url.Values
}

// can says whether the request's token holds rule.
func (rc *reqCtx) can(resource, name string, access acl.Access) bool {
	return rc.s.kit.Authorize(rc.r, acl.Rule{Resource: resource, Segment: name, Access: access}) == nil
}

// arg is the i-th path segment after the page name, unescaped.
func (rc *reqCtx) arg(i int) string {
	if i >= len(rc.rest) {
		return ""
	}
	v, err := url.PathUnescape(rc.rest[i])
	if err != nil {
		return rc.rest[i]
	}
	return v
}

// tail joins the path segments from i on (a KV key with slashes).
func (rc *reqCtx) tail(i int) string {
	if i >= len(rc.rest) {
		return ""
	}
	return strings.Join(rc.rest[i:], "/")
}

// apiError is an answer of the in-process API other than 200.
type apiError struct {
	Code int
	Msg  string
	Path string
}

func (e *apiError) Error() string { return fmt.Sprintf("GET %s: %d %s", e.Path, e.Code, e.Msg) }

// denied says whether err is the API refusing the token.
func denied(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && (ae.Code == http.StatusForbidden || ae.Code == http.StatusUnauthorized)
}

// absent says whether err is the API not serving path (a feature off on
// this agent) or not finding the object.
func absent(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Code == http.StatusNotFound
}

// get asks the agent's API, in process and with the request's token, for
// path and decodes its JSON answer into out.
func (rc *reqCtx) get(path string, out any) error {
	req, err := http.NewRequestWithContext(rc.r.Context(), http.MethodGet, path, nil)
	if err != nil {
		return fmt.Errorf("ui: request %s: %w", path, err)
	}
	if t := httpkit.Token(rc.r); t != "" {
		req.Header.Set("X-Consul-Token", t)
	}
	req.RemoteAddr = rc.r.RemoteAddr
	rec := &recorder{h: http.Header{}, code: http.StatusOK}
	rc.s.deps.API.ServeHTTP(rec, req)
	if rec.code != http.StatusOK {
		return &apiError{Code: rec.code, Msg: strings.TrimSpace(rec.body.String()), Path: path}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
		return fmt.Errorf("ui: decode %s: %w", path, err)
	}
	return nil
}

// publicErr turns an API refusal into the error a page shows as is.
func publicErr(err error) error {
	var ae *apiError
	if errors.As(err, &ae) && ae.Code < 500 {
		return &httpkit.Error{Code: ae.Code, Public: ae.Msg, Cause: err}
	}
	return err
}

// recorder is the in-process answer of the API.
type recorder struct {
	h    http.Header
	code int
	body bytes.Buffer
	done bool
}

func (w *recorder) Header() http.Header { return w.h }

func (w *recorder) WriteHeader(code int) {
	if !w.done {
		w.code, w.done = code, true
	}
}

func (w *recorder) Write(b []byte) (int, error) {
	w.done = true
	return w.body.Write(b)
}
