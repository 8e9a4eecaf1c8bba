package external

import "hash/fnv"

// Owner returns the agent that runs the check named key ("node/checkID")
// among agents: the one with the highest rendezvous score for key, ties
// broken by name. It returns "" when agents is empty. Removing an agent
// moves only the keys it owned; adding one takes about 1/n of the keys.
func Owner(key string, agents []string) string {
	best, bestScore := "", uint64(0)
	for _, a := range agents {
		s := score(a, key)
		if best == "" || s > bestScore || (s == bestScore && a < best) {
			best, bestScore = a, s
		}
	}
	return best
}

// score hashes an agent and a key together (FNV-1a, then a 64-bit
// finalizer so that similar names spread well).
func score(agent, key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(agent))
	h.Write([]byte{0})
	h.Write([]byte(key))
	x := h.Sum64()
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// Assign maps each key to its owner among agents.
func Assign(keys, agents []string) map[string]string {
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		out[k] = Owner(k, agents)
	}
	return out
}

// CheckKey names a check of an external node for Owner.
func CheckKey(node, checkID string) string { return node + "/" + checkID }
