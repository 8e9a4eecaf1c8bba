package policy

import (
	"fmt"
	"slices"

	"github.com/orbit/orbit/internal/job"
)

func checkDynamicPorts(c *checker) {
	for _, g := range c.job.Groups {
		if g.Network == nil {
			continue
		}
		for _, p := range g.Network.Ports {
			if !p.IsStatic() || slices.Contains(c.cfg.AllowedPorts, p.Static) {
				continue
			}
			pos := p.StaticPos
			if !pos.IsValid() {
				pos = p.Pos
			}
			c.report(groupScope(c, g), pos, fmt.Sprintf("port %q is static (%d): remove static and let orbit assign a dynamic port (20000-32000), use the service name or ${NOMAD_PORT_%s} to reach it; static ports are only for %s",
				p.Label, p.Static, p.Label, joinInts(c.cfg.AllowedPorts)))
		}
	}
}

func checkHACount(c *checker) {
	if c.job.Type == job.TypeSystem || c.job.Type == job.TypeBatch {
		return // system jobs run everywhere; batch jobs are not routed
	}
	for _, g := range c.job.Groups {
		name, ok := routedService(g)
		if !ok || g.Count >= c.cfg.MinCount {
			continue
		}
		pos := g.CountPos
		if !pos.IsValid() {
			pos = g.Pos
		}
		c.report(groupScope(c, g), pos, fmt.Sprintf("group %q runs %d instance(s) of routed service %q: set count = %d or more so that the edge always has a healthy instance, or declare why not with meta orbit-exception-ha-count = \"legacy: reason\"",
			g.Name, g.Count, name, c.cfg.MinCount))
	}
}

// routedService returns the name of a routed service of the group, if any.
func routedService(g *job.Group) (string, bool) {
	for _, s := range g.Services {
		if routed(s) {
			return s.Name, true
		}
	}
	for _, t := range g.Tasks {
		for _, s := range t.Services {
			if routed(s) {
				return s.Name, true
			}
		}
	}
	return "", false
}

func joinInts(ns []int) string {
	out := ""
	for i, n := range ns {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprint(n)
	}
	return out
}
