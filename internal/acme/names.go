package acme

import (
	"slices"
	"strings"

	"github.com/orbit/orbit/internal/routing"
)

// Wanted returns, per resolver in resolvers, the names its routers ask
// certificates for: each router whose tls.certresolver is that resolver
// contributes its tls.domains (main and sans) or, without any, the hosts
// of its rule. Disabled routers contribute nothing. Names are lower case,
// sorted, once each; one certificate is managed per name.
func Wanted(rt *routing.Table, resolvers map[string]bool) map[string][]string {
	out := map[string][]string{}
	if rt == nil {
		return out
	}
	for _, r := range rt.Routers() {
		if r.Status == routing.ElementDisabled || r.TLS == nil || !resolvers[r.TLS.CertResolver] {
			continue
		}
		var names []string
		for _, d := range r.TLS.Domains {
			names = append(names, d.Main)
			names = append(names, d.SANs...)
		}
		if len(names) == 0 && r.Rule != nil {
			names = r.Rule.Hosts()
		}
		for _, n := range names {
			if n = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(n), ".")); n != "" {
				out[r.TLS.CertResolver] = append(out[r.TLS.CertResolver], n)
			}
		}
	}
	for res, names := range out {
		slices.Sort(names)
		out[res] = slices.Compact(names)
	}
	return out
}
