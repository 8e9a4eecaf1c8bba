package agent

import (
	"context"
	"errors"
	"fmt"

	"github.com/orbit/orbit/internal/pki"
	"github.com/orbit/orbit/internal/store"
)

// useSealKey gives a server's store the key its secrets are sealed with
// (the CA's key, the identity signing keys): the one in the data dir, else
// the one the server it joined handed over, else a new one (the first
// server of a cluster).
func (a *Agent) useSealKey(st *store.Store, joined *httpJoiner) error {
	k, ok, err := store.LoadSealKey(a.dataDir)
	if err != nil {
		return err
	}
	if !ok {
		how := "created"
		if joined != nil && joined.sealKey != nil {
			k, how = joined.sealKey, "received from the server joined"
		} else if k, err = store.GenerateSealKey(); err != nil {
			return err
		}
		if err := store.WriteSealKey(a.dataDir, k); err != nil {
			return err
		}
		a.log.Info("seal key for secrets at rest "+how, "id", k.ID(), "file", store.SealKeyFile)
	}
	st.SetSealKey(k)
	a.sealKey = k
	return nil
}

// openCA loads the internal CA (servers create it): servers sign node
// certificates with it, edges their routers' certificates. An edge that is
// not a server cannot open the sealed key and serves TLS routers only
// from ACME and configured certificates.
func (a *Agent) openCA(ctx context.Context) error {
	if !a.cfg.Server && !a.cfg.Edge {
		return nil
	}
	ca, err := pki.New(ctx, pki.Config{Now: a.clock.Now, Logger: a.log.With("component", "pki")}, a.store)
	if !a.cfg.Server && errors.Is(err, store.ErrSealed) {
		a.log.Warn("the internal CA's key is held by servers only: TLS routers need ACME or configured certificates on this edge")
		return nil
	}
	if err != nil {
		return fmt.Errorf("internal CA: %w", err)
	}
	a.ca = ca
	return nil
}
