package view

import "strings"

// Resource names something a blocking query can wait on.
type Resource string

// Resources a reader can wait on.
const (
	ServicesRes Resource = "services" // the set of services and their tags
	NodesRes    Resource = "nodes"    // the set of nodes and their liveness
	ChecksRes   Resource = "checks"   // any check status, liveness included
)

// ServiceRes is one service: its instances, their checks and their nodes.
func ServiceRes(name string) Resource { return Resource("service:" + name) }

// NodeRes is one node: its record, liveness, instances and checks.
func NodeRes(name string) Resource { return Resource("node:" + name) }

// FamilyRes is every key of a family other packages own (zones, jobs,
// allocations, evaluations, ..., named as in store).
func FamilyRes(family string) Resource { return Resource("family:" + family) }

// JobRes is one job ("ns/id", see JobKey): its head, versions,
// allocations and their reports, evaluations and deployments.
func JobRes(key string) Resource { return Resource("job:" + key) }

// NodeAllocsRes is the allocations placed on one node and their reports.
func NodeAllocsRes(node string) Resource { return Resource("nodeallocs:" + node) }

// ZoneRes is one authoritative zone: its settings and record sets.
func ZoneRes(apex string) Resource { return Resource("zone:" + apex) }

// KVRes is one KV key.
func KVRes(key string) Resource { return Resource("kv:" + key) }

// KVPrefixRes is every KV key under prefix.
func KVPrefixRes(prefix string) Resource { return Resource("kvp:" + prefix) }

func (r Resource) kv() (key string, prefix bool, ok bool) {
	if k, found := strings.CutPrefix(string(r), "kv:"); found {
		return k, false, true
	}
	if k, found := strings.CutPrefix(string(r), "kvp:"); found {
		return k, true, true
	}
	return "", false, false
}
