package aclapi

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/store"
)

// bootstrap creates the first management token, once for the cluster
// (any caller may ask; no token is needed). A body may choose the secret
// ({"BootstrapSecret": "…"}).
func (h *Handler) bootstrap(w http.ResponseWriter, r *http.Request) error {
	var req struct{ BootstrapSecret string }
	if err := decode(r, &req); err != nil {
		return err
	}
	reset, err := h.resetIndex()
	if err != nil {
		return err
	}
	t, err := h.newToken(tokenRequest{SecretID: req.BootstrapSecret, Description: "Bootstrap Token (Global Management)",
		Policies: []acl.Link{{ID: acl.GlobalManagementID}}})
	if err != nil {
		return err
	}
	rev, err := h.deps.Store.BootstrapACL(r.Context(), t, reset)
	var done *store.BootstrapDoneError
	if errors.As(err, &done) {
		return &httpkit.Error{Code: http.StatusForbidden, Public: done.Error(), Cause: err}
	}
	if err != nil {
		return err
	}
	if reset > 0 {
		if err := os.Remove(h.cfg.ResetFile); err != nil {
			h.kit.Log.Warn("ACL bootstrap reset: cannot remove the reset file; remove it by hand", "file", h.cfg.ResetFile, "err", err)
		}
		h.kit.Log.Info("ACL bootstrap reset used", "reset_index", reset)
	}
	if err := h.visible(r.Context(), rev); err != nil {
		return err
	}
	stored, ok := h.deps.View.ACLToken(t.AccessorID)
	if !ok {
		return tokenNotFound()
	}
	out := *stored
	out.SecretID = t.SecretID
	return httpkit.WriteJSON(w, r, http.StatusOK, &out)
}

// resetIndex reads the acl-bootstrap-reset file: 0 when there is none.
func (h *Handler) resetIndex() (int64, error) {
	if h.cfg.ResetFile == "" {
		return 0, nil
	}
	b, err := os.ReadFile(h.cfg.ResetFile)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read ACL bootstrap reset file: %w", err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n <= 0 {
		return 0, httpkit.BadRequest("invalid reset index %q in %s", strings.TrimSpace(string(b)), h.cfg.ResetFile)
	}
	return n, nil
}
