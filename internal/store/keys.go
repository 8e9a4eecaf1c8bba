package store

import "strings"

// Prefix is the root of orbit's key space.
const Prefix = "/orbit/"

// Key families under Prefix. A key is Prefix + family + "/" + rest.
const (
	FamilyNodes     = "nodes"
	FamilyAlive     = "alive"
	FamilyInstances = "instances"
	FamilyChecks    = "checks"
	FamilyKV        = "kv"
)

// NodeKey is the key of a node record.
func NodeKey(node string) string { return Prefix + FamilyNodes + "/" + node }

// AliveKey is the node's liveness key, bound to its agent's lease.
func AliveKey(node string) string { return Prefix + FamilyAlive + "/" + node }

// InstanceKey is the key of a service instance.
func InstanceKey(node, id string) string {
	return Prefix + FamilyInstances + "/" + node + "/" + id
}

// InstancePrefix holds every instance of a node.
func InstancePrefix(node string) string { return Prefix + FamilyInstances + "/" + node + "/" }

// CheckKey is the key of a check with its status.
func CheckKey(node, id string) string { return Prefix + FamilyChecks + "/" + node + "/" + id }

// CheckPrefix holds every check of a node.
func CheckPrefix(node string) string { return Prefix + FamilyChecks + "/" + node + "/" }

// KVKey is the key of a Consul KV entry.
func KVKey(key string) string { return Prefix + FamilyKV + "/" + key }

// SplitKey parses a key of orbit's key space into its family and the parts
// after it: ("instances", ["node", "id"]). ok is false for keys outside it.
// The KV family keeps its user key whole, slashes included.
func SplitKey(key string) (family string, parts []string, ok bool) {
	rest, found := strings.CutPrefix(key, Prefix)
	if !found {
		return "", nil, false
	}
	family, rest, found = strings.Cut(rest, "/")
	if !found {
		return "", nil, false
	}
	switch family {
	case FamilyKV:
		return family, []string{rest}, true
	case FamilyInstances, FamilyChecks:
		node, id, found := strings.Cut(rest, "/")
		if !found || node == "" || id == "" {
			return "", nil, false
		}
		return family, []string{node, id}, true
	case FamilyNodes, FamilyAlive:
		if rest == "" {
			return "", nil, false
		}
		return family, []string{rest}, true
	default:
		// Families other packages own keep their own sub-structure.
		if rest == "" {
			return "", nil, false
		}
		return family, strings.Split(rest, "/"), true
	}
}

// FamilyKey is a key of a family owned by another package (zones, jobs,
// allocations, ...): Prefix + family + "/" + rest.
func FamilyKey(family, rest string) string { return Prefix + family + "/" + rest }
