package agent

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/orbit/orbit/internal/aclresolve"
	"github.com/orbit/orbit/internal/auditlog"
	"github.com/orbit/orbit/internal/httpkit"
)

// auditConfig is the audit block as auditlog's config, in dataDir when no
// path is given; false when the audit log is off.
func (c *AuditConfig) auditConfig(dataDir string) (auditlog.Config, bool, error) {
	if c == nil || !c.Enabled {
		return auditlog.Config{}, false, nil
	}
	if c.MaxSizeMB < 0 || c.MaxFiles < 0 {
		return auditlog.Config{}, false, fmt.Errorf("audit: max_size_mb %d and max_files %d: want positive numbers (0 takes the default)", c.MaxSizeMB, c.MaxFiles)
	}
	cfg := auditlog.Config{Path: c.Path, MaxSize: int64(c.MaxSizeMB) << 20, MaxFiles: c.MaxFiles}
	if cfg.Path == "" {
		cfg.Path = filepath.Join(dataDir, "audit", "audit.log")
	}
	return cfg, true, cfg.Validate()
}

// openAudit opens the audit log the config asks for and sets a.audit,
// which every listener serves with; the returned func closes it.
func (a *Agent) openAudit() (func(), error) {
	cfg, on, err := a.cfg.Audit.auditConfig(a.dataDir)
	if err != nil || !on {
		return func() {}, err
	}
	log := a.log.With("component", "audit")
	l, err := auditlog.Open(cfg, log)
	if err != nil {
		return nil, err
	}
	// Run sets Accessor once the ACL resolver is built, before any
	// listener starts.
	a.audit = httpkit.Audit{Sink: l, Clock: a.clock}
	log.Info("audit log on", "path", cfg.Path, "max_size", cfg.MaxSize, "max_files", cfg.MaxFiles)
	return func() {
		if err := l.Close(); err != nil {
			log.Warn("close audit log", "err", err)
		}
	}, nil
}

// tokenAccessor names tokens in the audit log by their accessor ID,
// through the ACL resolver (and its cache).
type tokenAccessor struct{ r *aclresolve.Resolver }

var _ httpkit.TokenAccessor = tokenAccessor{}

func (t tokenAccessor) AccessorID(ctx context.Context, secret string) (string, bool) {
	tok, err := t.r.Token(ctx, secret)
	if err != nil {
		return "", false
	}
	return tok.AccessorID, true
}
