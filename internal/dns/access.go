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
