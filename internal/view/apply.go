package view

import (
	"encoding/json"
	"strings"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/store"
)

// applyLocked folds one event into the state and bumps the indexes of every
// resource it changes. Undecodable values are logged and skipped.
func (v *View) applyLocked(ev store.Event, live bool) {
	family, parts, ok := store.SplitKey(ev.KV.Key)
	if !ok {
		return
	}
	rev := uint64(ev.KV.ModRevision)
	switch family {
	case store.FamilyNodes:
		v.applyNode(parts[0], ev, rev)
	case store.FamilyAlive:
		v.applyAlive(parts[0], ev, rev)
	case store.FamilyInstances:
		v.applyInstance(parts[0], parts[1], ev, rev)
	case store.FamilyChecks:
		v.applyCheck(parts[0], parts[1], ev, rev)
	case store.FamilyKV:
		v.applyKV(parts[0], ev, rev)
	case store.FamilyPKI:
		// The CA's private key is read from the store when needed, never
		// kept in every agent's memory.
	case store.FamilyZones:
		v.applyZone(parts, ev, rev)
	case store.FamilyACL:
		v.applyACL(parts, ev, rev)
	default:
		if !v.applyJobFamily(family, parts, ev, rev, live) {
			// A family no reader needs yet (the election): only its
			// resource moves.
			v.bumpLocked(FamilyRes(family), rev)
		}
	}
}

func (v *View) applyNode(name string, ev store.Event, rev uint64) {
	if ev.Delete {
		delete(v.nodes, name)
	} else {
		var n catalog.Node
		if err := json.Unmarshal(ev.KV.Value, &n); err != nil {
			v.log.Error("skip undecodable node", "key", ev.KV.Key, "err", err)
			return
		}
		n.Name = name
		n.CreateIndex, n.ModifyIndex = uint64(ev.KV.CreateRevision), rev
		v.nodes[name] = &n
	}
	v.bumpNodeLocked(name, rev)
	v.bumpLocked(NodesRes, rev)
	v.bumpLocked(ChecksRes, rev)
}

// bumpNodeLocked marks a node and every service with an instance on it.
func (v *View) bumpNodeLocked(node string, rev uint64) {
	v.bumpLocked(NodeRes(node), rev)
	for _, in := range v.inst[node] {
		v.bumpLocked(ServiceRes(in.Name), rev)
	}
}

func (v *View) applyAlive(node string, ev store.Event, rev uint64) {
	if ev.Delete {
		delete(v.alive, node)
	} else {
		if _, was := v.alive[node]; was {
			// A re-put under a new lease is no change of liveness.
			v.alive[node] = rev
			return
		}
		v.alive[node] = rev
	}
	v.aliveRev[node] = rev
	v.bumpNodeLocked(node, rev)
	v.bumpLocked(NodesRes, rev)
	v.bumpLocked(ChecksRes, rev)
}

func (v *View) applyInstance(node, id string, ev store.Event, rev uint64) {
	old := v.inst[node][id]
	if old != nil {
		delete(v.byName[old.Name], instRef{node, id})
		if len(v.byName[old.Name]) == 0 {
			delete(v.byName, old.Name)
		}
		v.bumpLocked(ServiceRes(old.Name), rev)
	}
	if ev.Delete {
		delete(v.inst[node], id)
		if len(v.inst[node]) == 0 {
			delete(v.inst, node)
		}
	} else {
		var in catalog.Instance
		if err := json.Unmarshal(ev.KV.Value, &in); err != nil {
			v.log.Error("skip undecodable instance", "key", ev.KV.Key, "err", err)
			return
		}
		in.Node, in.ID = node, id
		in.CreateIndex, in.ModifyIndex = uint64(ev.KV.CreateRevision), rev
		if v.inst[node] == nil {
			v.inst[node] = map[string]*catalog.Instance{}
		}
		v.inst[node][id] = &in
		if v.byName[in.Name] == nil {
			v.byName[in.Name] = map[instRef]*catalog.Instance{}
		}
		v.byName[in.Name][instRef{node, id}] = &in
		v.bumpLocked(ServiceRes(in.Name), rev)
	}
	v.bumpLocked(NodeRes(node), rev)
	v.bumpLocked(ServicesRes, rev)
}

func (v *View) applyCheck(node, id string, ev store.Event, rev uint64) {
	old := v.checks[node][id]
	var c *catalog.Check
	if !ev.Delete {
		c = new(catalog.Check)
		if err := json.Unmarshal(ev.KV.Value, c); err != nil {
			v.log.Error("skip undecodable check", "key", ev.KV.Key, "err", err)
			return
		}
		c.Node, c.CheckID = node, id
		c.CreateIndex, c.ModifyIndex = uint64(ev.KV.CreateRevision), rev
	}
	if old != nil {
		v.unindexCheck(old)
	}
	if c == nil {
		delete(v.checks[node], id)
		if len(v.checks[node]) == 0 {
			delete(v.checks, node)
		}
	} else {
		if v.checks[node] == nil {
			v.checks[node] = map[string]*catalog.Check{}
		}
		v.checks[node][id] = c
		v.indexCheck(c)
	}
	for _, x := range []*catalog.Check{old, c} {
		switch {
		case x == nil:
		case x.ServiceID == "":
			v.bumpNodeLocked(node, rev) // a node check: every instance on it
		default:
			if in := v.inst[node][x.ServiceID]; in != nil {
				v.bumpLocked(ServiceRes(in.Name), rev)
			}
		}
	}
	v.bumpLocked(NodeRes(node), rev)
	v.bumpLocked(ChecksRes, rev)
}

func (v *View) applyKV(key string, ev store.Event, rev uint64) {
	if ev.Delete {
		delete(v.kv, key)
		v.tomb[key] = rev
	} else {
		flags, lock, val, err := catalog.DecodeKVLock(ev.KV.Value)
		if err != nil {
			v.log.Error("skip undecodable kv", "key", ev.KV.Key, "err", err)
			return
		}
		v.kv[key] = &catalog.KVEntry{Key: key, Value: val, Flags: flags,
			CreateIndex: uint64(ev.KV.CreateRevision), ModifyIndex: rev,
			LockIndex: lock.LockIndex, Session: lock.Session}
		delete(v.tomb, key)
	}
	for res, ws := range v.waiters {
		k, prefix, ok := res.kv()
		if !ok || (prefix && !strings.HasPrefix(key, k)) || (!prefix && k != key) {
			continue
		}
		for ch := range ws {
			close(ch)
		}
		delete(v.waiters, res)
	}
}

func (v *View) kvIndexLocked(key string, prefix bool) uint64 {
	if !prefix {
		if e := v.kv[key]; e != nil {
			return e.ModifyIndex
		}
		return v.tomb[key]
	}
	var i uint64
	for k, e := range v.kv {
		if strings.HasPrefix(k, key) {
			i = max(i, e.ModifyIndex)
		}
	}
	for k, r := range v.tomb {
		if strings.HasPrefix(k, key) {
			i = max(i, r)
		}
	}
	return i
}

func (v *View) indexCheck(c *catalog.Check) {
	n := v.bySvc[c.Node]
	if n == nil {
		n = map[string]map[string]*catalog.Check{}
		v.bySvc[c.Node] = n
	}
	m := n[c.ServiceID]
	if m == nil {
		m = map[string]*catalog.Check{}
		n[c.ServiceID] = m
	}
	m[c.CheckID] = c
}

func (v *View) unindexCheck(c *catalog.Check) {
	n := v.bySvc[c.Node]
	delete(n[c.ServiceID], c.CheckID)
	if len(n[c.ServiceID]) == 0 {
		delete(n, c.ServiceID)
	}
	if len(n) == 0 {
		delete(v.bySvc, c.Node)
	}
}
