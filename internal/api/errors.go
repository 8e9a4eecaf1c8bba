package api

import (
	"errors"
	"net/http"

	"github.com/orbit/orbit/internal/httpkit"
)

// Sentinel errors the agent wraps around the health manager's TTL errors
// (TTLUpdater); httpkit.StatusOf answers them 404 and 400.
var (
	ErrUnknownCheck = &httpkit.Error{Code: http.StatusNotFound, Cause: errors.New("unknown check")}
	ErrNotTTL       = &httpkit.Error{Code: http.StatusBadRequest, Cause: errors.New("not a TTL check")}
)
