package store

import (
	"context"
	"fmt"

	"github.com/orbit/orbit/internal/job"
)

// Key families of the Nomad operator surface.
//
//	nodesched/<node>     job.NodeSchedule  written by the API and the leader's drainer, with CAS
//	schedconfig/default  the scheduler configuration (the API's JSON), written by the API with CAS
//	vars/<ns>/<path>     a Nomad variable (the API's JSON), written by the API with CAS
const (
	FamilyNodeSched   = "nodesched"
	FamilySchedConfig = "schedconfig"
	FamilyVars        = "vars"
)

// NodeSchedKey is the key of a node's scheduling say.
func NodeSchedKey(node string) string { return FamilyKey(FamilyNodeSched, node) }

// SchedConfigKey is the key of the scheduler configuration.
func SchedConfigKey() string { return FamilyKey(FamilySchedConfig, "default") }

// VarKey is the key of a variable; VarsPrefix holds a namespace's.
func VarKey(ns, path string) string { return FamilyKey(FamilyVars, ns+"/"+path) }

// VarsPrefix holds the variables of namespace ns.
func VarsPrefix(ns string) string { return FamilyKey(FamilyVars, ns+"/") }

// PutNodeSchedule writes a node's schedule when its key's mod revision is
// still prev (0: absent), with evals in the same transaction. It returns
// ErrConflict when the key moved.
func (s *Store) PutNodeSchedule(ctx context.Context, node string, sc *job.NodeSchedule, prev int64, evals ...*job.Evaluation) (int64, error) {
	ops := []Op{Put(NodeSchedKey(node), mustJSON(sc))}
	for _, e := range evals {
		ops = append(ops, Put(EvalKey(e.ID), mustJSON(e)))
	}
	ok, rev, err := s.Txn(ctx, []Cmp{{Key: NodeSchedKey(node), ModRevision: prev}}, ops)
	if err != nil {
		return 0, fmt.Errorf("write schedule of node %s: %w", node, err)
	}
	if !ok {
		return 0, fmt.Errorf("write schedule of node %s: %w", node, ErrConflict)
	}
	return rev, nil
}

// PurgeNode deletes a node's fingerprint and schedule, with evals in the
// same transaction.
func (s *Store) PurgeNode(ctx context.Context, node string, evals ...*job.Evaluation) (int64, error) {
	ops := []Op{Del(NodeInfoKey(node)), Del(NodeSchedKey(node))}
	for _, e := range evals {
		ops = append(ops, Put(EvalKey(e.ID), mustJSON(e)))
	}
	_, rev, err := s.Txn(ctx, nil, ops)
	if err != nil {
		return 0, fmt.Errorf("purge node %s: %w", node, err)
	}
	return rev, nil
}
