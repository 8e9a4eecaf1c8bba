package store

import (
	"context"
	"fmt"

	"github.com/orbit/orbit/internal/job"
)

// PutAllocStatuses writes many of a client's allocation reports in as few
// transactions as etcd allows (MaxTxnOps each), so a client starting a
// hundred allocations commits a handful of writes instead of a hundred.
// Written by the client only; each key still has one writer.
func (s *Store) PutAllocStatuses(ctx context.Context, sts []*job.AllocStatus) (int64, error) {
	var rev int64
	for start := 0; start < len(sts); start += MaxTxnOps {
		end := min(start+MaxTxnOps, len(sts))
		ops := make([]Op, 0, end-start)
		for _, st := range sts[start:end] {
			ops = append(ops, Put(AllocStatusKey(st.ID), mustJSON(st)))
		}
		_, r, err := s.Txn(ctx, nil, ops)
		if err != nil {
			return 0, fmt.Errorf("write status of %d allocations: %w", len(ops), err)
		}
		rev = r
	}
	return rev, nil
}
