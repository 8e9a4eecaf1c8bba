package dns

// readable keeps the services and nodes a may read: copies, since the
// incremental cache owns the maps it returns.
func readable(services map[string]*service, nodes map[string]*nodeRec, a Access) (map[string]*service, map[string]*nodeRec) {
	outS := make(map[string]*service, len(services))
	for name, s := range services {
		if a.MayRead("service", name) {
			outS[name] = s
		}
	}
	outN := make(map[string]*nodeRec, len(nodes))
	for name, n := range nodes {
		if a.MayRead("node", name) {
			outN[name] = n
		}
	}
	return outS, outN
}

// reverseNames is the PTR table: every reverse name of ptr that no zone
// defines, and, when filter is set, whose node is among the readable
// nodes, so a PTR never names a node its forward lookup would hide.
func reverseNames(ptr map[string]string, nodes map[string]*nodeRec, zoneDefines func(string) bool, filter bool) map[string]string {
	out := make(map[string]string, len(ptr))
	for name, node := range ptr {
		if zoneDefines(name) {
			continue
		}
		if _, ok := nodes[node]; filter && !ok {
			continue
		}
		out[name] = node
	}
	return out
}
