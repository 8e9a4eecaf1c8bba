package policy

import (
	"fmt"
	"strings"

	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/routing"
)

func serviceName(s *job.Service) string {
	if s.Name != "" {
		return s.Name
	}
	return "(unnamed)"
}

func checkHealthCheck(c *checker) {
	c.eachService(func(_ *job.Group, _ *job.Task, s *job.Service, sc scope) {
		if len(s.Checks) == 0 {
			c.report(sc, s.Pos, fmt.Sprintf("service %q has no health check: add a check block (http with a path, tcp, grpc or ttl) so that only healthy instances get traffic", serviceName(s)))
		}
	})
}

func checkCheckTiming(c *checker) {
	c.eachService(func(_ *job.Group, _ *job.Task, s *job.Service, sc scope) {
		for _, ck := range s.Checks {
			switch {
			case ck.Interval <= 0:
				c.report(sc, ck.Pos, fmt.Sprintf("check of service %q has no interval: set interval (e.g. \"10s\")", serviceName(s)))
			case ck.Type == job.CheckTTL:
				// A TTL check is pushed by the service: it has no timeout.
			case ck.Timeout <= 0:
				c.report(sc, ck.Pos, fmt.Sprintf("check of service %q has no timeout: set a timeout shorter than its interval %s (e.g. \"2s\")", serviceName(s), ck.Interval))
			case ck.Timeout >= ck.Interval:
				pos := ck.TimeoutPos
				if !pos.IsValid() {
					pos = ck.Pos
				}
				c.report(sc, pos, fmt.Sprintf("check timeout %s is not shorter than its interval %s: checks would overlap; lower the timeout or raise the interval", ck.Timeout, ck.Interval))
			}
		}
	})
}

func checkServiceIdentity(c *checker) {
	c.eachService(func(_ *job.Group, _ *job.Task, s *job.Service, sc scope) {
		switch {
		case s.Identity == nil:
			c.report(sc, s.Pos, fmt.Sprintf("service %q has no identity: add identity { aud = [\"consul.io\"] } so it registers with a workload identity", serviceName(s)))
		case len(s.Identity.Aud) == 0:
			c.report(sc, s.Identity.Pos, fmt.Sprintf("identity of service %q has no audience: set aud = [\"consul.io\"]", serviceName(s)))
		}
	})
}

// checkTraefikTags checks each traefik.* tag with the edge's own parser,
// and that a router serving TLS is not only on plain-HTTP entry points.
func checkTraefikTags(c *checker) {
	plain := map[string]bool{}
	for _, ep := range c.cfg.PlainEntryPoints {
		plain[strings.ToLower(ep)] = true
	}
	c.eachService(func(_ *job.Group, _ *job.Task, s *job.Service, sc scope) {
		tlsAt := map[string]job.Pos{}
		entry := map[string][]string{}
		for i, tag := range s.Tags {
			pos := s.Pos
			if i < len(s.TagPos) {
				pos = s.TagPos[i]
			}
			if !strings.HasPrefix(strings.ToLower(tag), "traefik.") || strings.Contains(tag, "${") {
				continue // not a routing tag, or only known at run time
			}
			if err := routing.CheckTag(tag); err != nil {
				c.report(sc, pos, fmt.Sprintf("%v: fix the tag so that the edge can route the service", err))
				continue
			}
			router, opt, value, ok := routerOption(tag)
			switch {
			case !ok:
			case opt == "tls" && strings.EqualFold(value, "true"):
				tlsAt[router] = pos
			case opt == "entrypoints":
				entry[router] = strings.Split(value, ",")
			}
		}
		for router, pos := range tlsAt {
			eps := entry[router]
			if len(eps) == 0 {
				continue
			}
			onlyPlain := true
			for _, ep := range eps {
				onlyPlain = onlyPlain && plain[strings.ToLower(strings.TrimSpace(ep))]
			}
			if onlyPlain {
				c.report(sc, pos, fmt.Sprintf("router %q has tls=true but only plain-HTTP entry points (%s): put it on the HTTPS entry point (e.g. entrypoints=websecure)", router, strings.Join(eps, ",")))
			}
		}
	})
}

// routerOption splits traefik.http.routers.<name>.<option>=<value>.
func routerOption(tag string) (router, opt, value string, ok bool) {
	key, value, found := strings.Cut(tag, "=")
	parts := strings.Split(strings.ToLower(strings.TrimSpace(key)), ".")
	if !found || len(parts) != 5 || parts[1] != "http" || parts[2] != "routers" {
		return "", "", "", false
	}
	return parts[3], parts[4], strings.TrimSpace(value), true
}

// routed reports whether the service asks the edge to route it.
func routed(s *job.Service) bool {
	for _, tag := range s.Tags {
		key, value, ok := strings.Cut(tag, "=")
		if ok && strings.EqualFold(strings.TrimSpace(key), "traefik.enable") && strings.EqualFold(strings.TrimSpace(value), "true") {
			return true
		}
	}
	return false
}
