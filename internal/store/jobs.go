package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/job"
)

// Key families of the orchestrator. Each key holds the JSON of a job type.
//
//	jobs/<ns>/<id>/<version>  job.Version   written by the API (register, revert) and the scheduler (stable)
//	jobhead/<ns>/<id>         job.Head      written by the API (register, stop, revert) and the scheduler (status)
//	allocs/<id>               job.Allocation written by the scheduler only
//	allocstatus/<id>          job.AllocStatus written by the allocation's client only
//	evals/<id>                job.Evaluation written by the API (new ones) and the scheduler
//	deployments/<id>          job.Deployment written by the scheduler only
//	nodeinfo/<node>           job.NodeInfo  written by the node's client only
//	nodeseq/<node>            plan sequence: rewritten by every plan that changes the node's allocations
const (
	FamilyJobs        = "jobs"
	FamilyJobHead     = "jobhead"
	FamilyAllocs      = "allocs"
	FamilyAllocStatus = "allocstatus"
	FamilyEvals       = "evals"
	FamilyDeployments = "deployments"
	FamilyNodeInfo    = "nodeinfo"
	FamilyNodeSeq     = "nodeseq"
)

// Job IDs may hold any character Nomad accepts, '/' included; in keys
// they are one segment with '%' and '/' escaped (namespaces hold neither).
var (
	idEscaper   = strings.NewReplacer("%", "%25", "/", "%2F")
	idUnescaper = strings.NewReplacer("%2F", "/", "%25", "%")
)

// EscapeJobID is a job ID as one key segment.
func EscapeJobID(id string) string { return idEscaper.Replace(id) }

// UnescapeJobID reverses EscapeJobID; a '%' not followed by "25" or "2F"
// is kept as it is.
func UnescapeJobID(seg string) string { return idUnescaper.Replace(seg) }

// JobVersionKey is the key of one version of a job.
func JobVersionKey(ns, id string, version uint64) string {
	return FamilyKey(FamilyJobs, ns+"/"+EscapeJobID(id)+"/"+strconv.FormatUint(version, 10))
}

// JobVersionsPrefix holds every version of a job.
func JobVersionsPrefix(ns, id string) string {
	return FamilyKey(FamilyJobs, ns+"/"+EscapeJobID(id)+"/")
}

// JobHeadKey is the key of a job's head.
func JobHeadKey(ns, id string) string { return FamilyKey(FamilyJobHead, ns+"/"+EscapeJobID(id)) }

// ParseHeadRest splits the part of a jobhead key after the family
// ("<ns>/<escaped id>").
func ParseHeadRest(rest string) (ns, id string, ok bool) {
	ns, seg, ok := strings.Cut(rest, "/")
	if !ok || ns == "" || seg == "" || strings.Contains(seg, "/") {
		return "", "", false
	}
	return ns, UnescapeJobID(seg), true
}

// AllocKey is the key of an allocation.
func AllocKey(id string) string { return FamilyKey(FamilyAllocs, id) }

// AllocStatusKey is the key of a client's report on an allocation.
func AllocStatusKey(id string) string { return FamilyKey(FamilyAllocStatus, id) }

// EvalKey is the key of an evaluation.
func EvalKey(id string) string { return FamilyKey(FamilyEvals, id) }

// DeploymentKey is the key of a deployment.
func DeploymentKey(id string) string { return FamilyKey(FamilyDeployments, id) }

// NodeInfoKey is the key of a node's fingerprint.
func NodeInfoKey(node string) string { return FamilyKey(FamilyNodeInfo, node) }

// NodeSeqKey is the key every plan touching node rewrites; a plan compares
// its mod revision with the one read before the node's allocations, so two
// schedulers can never both place on a node from the same picture of it.
func NodeSeqKey(node string) string { return FamilyKey(FamilyNodeSeq, node) }

// ParseVersionRest splits the part of a jobs key after the family
// ("<ns>/<id>/<version>").
func ParseVersionRest(rest string) (ns, id string, version uint64, ok bool) {
	_, parts, ok := SplitKey(FamilyKey(FamilyJobs, rest))
	if !ok || len(parts) != 3 {
		return "", "", 0, false
	}
	v, err := strconv.ParseUint(parts[2], 10, 64)
	if err != nil {
		return "", "", 0, false
	}
	return parts[0], UnescapeJobID(parts[1]), v, true
}

// Decode unmarshals a stored JSON value.
func Decode[T any](kv KV) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(kv.Value, v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
	}
	return v, nil
}

// ErrJobNotFound is returned for a job without a head.
var ErrJobNotFound = errors.New("job not found")

// JobRegistration is one register (or revert) of a job.
type JobRegistration struct {
	Job      *job.Job
	Warnings []string
	Source   string
	// Submission carries the source's format and variables (optional).
	Submission *job.Version
	// Scaled, when set, is recorded on the head for ScaledGroup in the same
	// transaction (a scale request).
	Scaled      *job.ScalingEvent
	ScaledGroup string
	// Eval is written in the same transaction; its JobVersion is set to the
	// version registered. Nil writes no evaluation.
	Eval *job.Evaluation
	// EnforceVersion, when set, makes the write fail with ErrConflict unless
	// the job exists and its current version is *EnforceVersion.
	EnforceVersion *uint64
	Now            time.Time
	// Same reports whether two job versions are the same spec; when the
	// current version is the same as Job (and the job runs), no version is
	// added. Nil always adds a version.
	Same func(a, b *job.Job) bool
}

// JobRegistered is the result of RegisterJob.
type JobRegistered struct {
	Version  uint64
	Changed  bool // a new version was written
	Revision int64
}

// RegisterJob writes a job's new version and head (and the evaluation) in
// one transaction that requires the head not to have changed since it was
// read, retrying a few times.
func (s *Store) RegisterJob(ctx context.Context, r JobRegistration) (JobRegistered, error) {
	ns, id := r.Job.Namespace, r.Job.ID
	for attempt := 0; attempt < 5; attempt++ {
		head, headRev, cur, err := s.readHead(ctx, ns, id)
		if err != nil {
			return JobRegistered{}, err
		}
		if r.EnforceVersion != nil && (head == nil || head.Version != *r.EnforceVersion) {
			return JobRegistered{}, fmt.Errorf("register job %q: current version is not %d: %w", id, *r.EnforceVersion, ErrConflict)
		}
		res := JobRegistered{}
		var ops []Op
		if head == nil {
			head = &job.Head{Namespace: ns, ID: id, CreateTime: r.Now, Status: job.JobPending}
			res.Changed = true
		} else if head.Stopped || cur == nil || r.Same == nil || !r.Same(cur.Job, r.Job) {
			res.Version = head.Version + 1
			res.Changed = true
		} else {
			res.Version = head.Version
		}
		if res.Changed {
			v := &job.Version{Version: res.Version, SubmitTime: r.Now, Warnings: r.Warnings, Source: r.Source, Job: r.Job}
			if sub := r.Submission; sub != nil {
				v.SourceFormat, v.Variables, v.VariableFlags = sub.SourceFormat, sub.Variables, sub.VariableFlags
			}
			ops = append(ops, Put(JobVersionKey(ns, id, res.Version), mustJSON(v)))
			if head.Status == job.JobDead {
				head.Status = job.JobPending
			}
		}
		head.Version, head.Stopped, head.SubmitTime = res.Version, false, r.Now
		if r.Scaled != nil {
			e := *r.Scaled
			if r.Eval != nil {
				e.EvalID = r.Eval.ID
			}
			head.AddScalingEvent(r.ScaledGroup, e)
		}
		ops = append(ops, Put(JobHeadKey(ns, id), mustJSON(head)))
		if r.Eval != nil {
			r.Eval.JobVersion = res.Version
			ops = append(ops, Put(EvalKey(r.Eval.ID), mustJSON(r.Eval)))
		}
		ok, rev, err := s.Txn(ctx, []Cmp{{Key: JobHeadKey(ns, id), ModRevision: headRev}}, ops)
		if err != nil {
			return JobRegistered{}, fmt.Errorf("register job %q: %w", id, err)
		}
		if ok {
			res.Revision = rev
			return res, nil
		}
	}
	return JobRegistered{}, fmt.Errorf("register job %q: %w", id, ErrConflict)
}

// readHead reads a job's head and current version; head is nil (and
// headRev 0) when the job does not exist.
func (s *Store) readHead(ctx context.Context, ns, id string) (*job.Head, int64, *job.Version, error) {
	kv, err := s.Get(ctx, JobHeadKey(ns, id))
	if errors.Is(err, ErrNotFound) {
		return nil, 0, nil, nil
	}
	if err != nil {
		return nil, 0, nil, err
	}
	head, err := Decode[job.Head](kv)
	if err != nil {
		return nil, 0, nil, err
	}
	vkv, err := s.Get(ctx, JobVersionKey(ns, id, head.Version))
	if errors.Is(err, ErrNotFound) {
		return head, kv.ModRevision, nil, nil
	}
	if err != nil {
		return nil, 0, nil, err
	}
	cur, err := Decode[job.Version](vkv)
	if err != nil {
		return nil, 0, nil, err
	}
	return head, kv.ModRevision, cur, nil
}

// StopJob marks a job stopped (its allocations are then stopped by the
// scheduler through eval), or with purge deletes its head and every
// version. It fails with ErrJobNotFound for an unknown job.
func (s *Store) StopJob(ctx context.Context, ns, id string, purge bool, eval *job.Evaluation, now time.Time) (int64, error) {
	for attempt := 0; attempt < 5; attempt++ {
		kv, err := s.Get(ctx, JobHeadKey(ns, id))
		if errors.Is(err, ErrNotFound) {
			return 0, fmt.Errorf("stop job %q: %w", id, ErrJobNotFound)
		}
		if err != nil {
			return 0, err
		}
		head, err := Decode[job.Head](kv)
		if err != nil {
			return 0, err
		}
		var ops []Op
		if purge {
			ops = append(ops, Del(JobHeadKey(ns, id)), DelPrefix(JobVersionsPrefix(ns, id)))
		} else {
			head.Stopped, head.SubmitTime = true, now
			ops = append(ops, Put(JobHeadKey(ns, id), mustJSON(head)))
		}
		if eval != nil {
			eval.JobVersion = head.Version
			ops = append(ops, Put(EvalKey(eval.ID), mustJSON(eval)))
		}
		ok, rev, err := s.Txn(ctx, []Cmp{{Key: JobHeadKey(ns, id), ModRevision: kv.ModRevision}}, ops)
		if err != nil {
			return 0, fmt.Errorf("stop job %q: %w", id, err)
		}
		if ok {
			return rev, nil
		}
	}
	return 0, fmt.Errorf("stop job %q: %w", id, ErrConflict)
}

// SetJobStatus updates the Status of a job's head if it exists.
func (s *Store) SetJobStatus(ctx context.Context, ns, id, status string) error {
	for attempt := 0; attempt < 5; attempt++ {
		kv, err := s.Get(ctx, JobHeadKey(ns, id))
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		head, err := Decode[job.Head](kv)
		if err != nil {
			return err
		}
		if head.Status == status {
			return nil
		}
		head.Status = status
		ok, _, err := s.Txn(ctx, []Cmp{{Key: kv.Key, ModRevision: kv.ModRevision}}, []Op{Put(kv.Key, mustJSON(head))})
		if err != nil {
			return fmt.Errorf("set status of job %q: %w", id, err)
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("set status of job %q: %w", id, ErrConflict)
}

// SetVersionStable sets the Stable flag of one job version if it exists.
func (s *Store) SetVersionStable(ctx context.Context, ns, id string, version uint64, stable bool) error {
	for attempt := 0; attempt < 5; attempt++ {
		kv, err := s.Get(ctx, JobVersionKey(ns, id, version))
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		v, err := Decode[job.Version](kv)
		if err != nil {
			return err
		}
		if v.Stable == stable {
			return nil
		}
		v.Stable = stable
		ok, _, err := s.Txn(ctx, []Cmp{{Key: kv.Key, ModRevision: kv.ModRevision}}, []Op{Put(kv.Key, mustJSON(v))})
		if err != nil {
			return fmt.Errorf("mark job %q version %d stable: %w", id, version, err)
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("mark job %q version %d stable: %w", id, version, ErrConflict)
}

// PutEval writes evaluations.
func (s *Store) PutEval(ctx context.Context, evals ...*job.Evaluation) (int64, error) {
	ops := make([]Op, len(evals))
	for i, e := range evals {
		ops[i] = Put(EvalKey(e.ID), mustJSON(e))
	}
	_, rev, err := s.Txn(ctx, nil, ops)
	if err != nil {
		return 0, fmt.Errorf("write evaluations: %w", err)
	}
	return rev, nil
}

// PutDeployment writes a deployment.
func (s *Store) PutDeployment(ctx context.Context, d *job.Deployment) (int64, error) {
	_, rev, err := s.Txn(ctx, nil, []Op{Put(DeploymentKey(d.ID), mustJSON(d))})
	if err != nil {
		return 0, fmt.Errorf("write deployment %s: %w", d.ID, err)
	}
	return rev, nil
}

// PutAllocStatus writes a client's report on an allocation (client only).
func (s *Store) PutAllocStatus(ctx context.Context, st *job.AllocStatus) (int64, error) {
	_, rev, err := s.Txn(ctx, nil, []Op{Put(AllocStatusKey(st.ID), mustJSON(st))})
	if err != nil {
		return 0, fmt.Errorf("write status of allocation %s: %w", st.ID, err)
	}
	return rev, nil
}

// PutNodeInfo writes a node's fingerprint (that node's client only).
func (s *Store) PutNodeInfo(ctx context.Context, n *job.NodeInfo) (int64, error) {
	_, rev, err := s.Txn(ctx, nil, []Op{Put(NodeInfoKey(n.Name), mustJSON(n))})
	if err != nil {
		return 0, fmt.Errorf("write node info %s: %w", n.Name, err)
	}
	return rev, nil
}

// DeleteKeys deletes keys in transactions of at most MaxTxnOps (garbage
// collection of terminal allocations, evaluations and deployments).
func (s *Store) DeleteKeys(ctx context.Context, keys []string) (int64, error) {
	var rev int64
	for start := 0; start < len(keys); start += MaxTxnOps {
		end := min(start+MaxTxnOps, len(keys))
		ops := make([]Op, 0, end-start)
		for _, k := range keys[start:end] {
			ops = append(ops, Del(k))
		}
		_, r, err := s.Txn(ctx, nil, ops)
		if err != nil {
			return 0, fmt.Errorf("delete %d keys: %w", len(ops), err)
		}
		rev = r
	}
	return rev, nil
}

// MaxTxnOps is the most operations orbit puts in one transaction: etcd's
// default limit (--max-txn-ops 128), so an external cluster accepts them.
const MaxTxnOps = 128

// Plan is what one scheduling pass writes.
type Plan struct {
	// NodeSeq maps every node whose allocations the plan changes to the mod
	// revision of its NodeSeqKey read before its allocations were read (0:
	// the key did not exist). A plan changing a node's allocations must
	// list the node.
	NodeSeq map[string]int64
	// Allocs are allocations to create or update (new placements, stops,
	// lost marks), each on a node in NodeSeq.
	Allocs      []*job.Allocation
	Evals       []*job.Evaluation
	Deployments []*job.Deployment
	// Tag is written as the value of the node sequence keys (the
	// evaluation ID, for debugging).
	Tag string
	// Fence, when set, makes every transaction of the plan require that
	// leadership: a plan from a leader that lost it fails with ErrNotLeader
	// and writes nothing more.
	Fence *Fence
}

// PlanResult says how much of a plan was written.
type PlanResult struct {
	// Applied are the nodes whose changes were written. On a conflict the
	// other nodes' changes, the evaluations and deployments were not.
	Applied  []string
	Revision int64
	// NodeSeq is the new mod revision of each applied node's sequence key,
	// for the next plan built on this one.
	NodeSeq map[string]int64
}

// ApplyPlan writes a plan. Each node's allocations are written in a
// transaction that requires the node's sequence key to be unchanged and
// rewrites it; a node with many changes is split across transactions that
// chain on the revision of the previous one. The evaluations and
// deployments are written last, only when every node succeeded. On a
// conflict it returns the partial result and an error wrapping
// ErrConflict: the caller re-reads the state and plans again.
func (s *Store) ApplyPlan(ctx context.Context, p Plan) (PlanResult, error) {
	seq := make(map[string]int64, len(p.NodeSeq))
	for n, r := range p.NodeSeq {
		seq[n] = r
	}
	byNode := map[string][]Op{}
	for _, a := range p.Allocs {
		if _, ok := seq[a.Node]; !ok {
			return PlanResult{}, fmt.Errorf("apply plan: allocation %s on node %q not in the plan's nodes", a.ID, a.Node)
		}
		byNode[a.Node] = append(byNode[a.Node], Put(AllocKey(a.ID), mustJSON(a)))
	}
	nodes := make([]string, 0, len(byNode))
	for n := range byNode {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	res := PlanResult{NodeSeq: map[string]int64{}}
	var fence []Cmp
	if p.Fence != nil {
		fence = []Cmp{{Key: p.Fence.Key, ModRevision: p.Fence.Rev}}
	}
	for _, chunk := range packNodes(nodes, byNode) {
		cmps := append([]Cmp(nil), fence...)
		ops := append([]Op(nil), chunk.ops...)
		for _, n := range chunk.nodes {
			cmps = append(cmps, Cmp{Key: NodeSeqKey(n), ModRevision: seq[n]})
			ops = append(ops, Put(NodeSeqKey(n), []byte(p.Tag)))
		}
		ok, rev, err := s.Txn(ctx, cmps, ops)
		if err != nil {
			return res, fmt.Errorf("apply plan: %w", err)
		}
		if !ok {
			if err := s.checkFence(ctx, p.Fence); err != nil {
				return res, fmt.Errorf("apply plan: %w", err)
			}
			return res, fmt.Errorf("apply plan: a node changed since it was read: %w", ErrConflict)
		}
		res.Revision = rev
		for _, n := range chunk.nodes {
			seq[n] = rev
			res.NodeSeq[n] = rev
		}
		if chunk.complete {
			res.Applied = append(res.Applied, chunk.nodes...)
		}
	}
	var tail []Op
	for _, e := range p.Evals {
		tail = append(tail, Put(EvalKey(e.ID), mustJSON(e)))
	}
	for _, d := range p.Deployments {
		tail = append(tail, Put(DeploymentKey(d.ID), mustJSON(d)))
	}
	for start := 0; start < len(tail); start += MaxTxnOps {
		ok, rev, err := s.Txn(ctx, fence, tail[start:min(start+MaxTxnOps, len(tail))])
		if err != nil {
			return res, fmt.Errorf("apply plan: write evaluations and deployments: %w", err)
		}
		if !ok {
			return res, fmt.Errorf("apply plan: write evaluations and deployments: %w", ErrNotLeader)
		}
		res.Revision = rev
	}
	return res, nil
}

// checkFence returns ErrNotLeader when f's leadership is no longer held.
func (s *Store) checkFence(ctx context.Context, f *Fence) error {
	if f == nil {
		return nil
	}
	kv, err := s.Get(ctx, f.Key)
	switch {
	case errors.Is(err, ErrNotFound):
		return ErrNotLeader
	case err != nil:
		return fmt.Errorf("check leadership: %w", err)
	case kv.ModRevision != f.Rev:
		return ErrNotLeader
	}
	return nil
}

type planChunk struct {
	nodes    []string
	ops      []Op
	complete bool // the last chunk of each of nodes (all but a split node's last chunk)
}

// packNodes packs nodes' ops into transactions of at most MaxTxnOps
// operations, counting one sequence key per node. A node with more ops than
// fit gets chunks of its own.
func packNodes(nodes []string, byNode map[string][]Op) []planChunk {
	var out []planChunk
	cur := planChunk{complete: true}
	flush := func() {
		if len(cur.nodes) > 0 {
			out = append(out, cur)
		}
		cur = planChunk{complete: true}
	}
	for _, n := range nodes {
		ops := byNode[n]
		if len(ops)+1 > MaxTxnOps {
			flush()
			for start := 0; start < len(ops); start += MaxTxnOps - 1 {
				end := min(start+MaxTxnOps-1, len(ops))
				out = append(out, planChunk{nodes: []string{n}, ops: ops[start:end], complete: end == len(ops)})
			}
			continue
		}
		if len(cur.ops)+len(cur.nodes)+len(ops)+1 > MaxTxnOps {
			flush()
		}
		cur.nodes = append(cur.nodes, n)
		cur.ops = append(cur.ops, ops...)
	}
	flush()
	return out
}
