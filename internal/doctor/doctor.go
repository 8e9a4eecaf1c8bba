package doctor

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Input is what `orbit dns doctor` gathered about the host.
type Input struct {
	// ResolvConf is /etc/resolv.conf (nil when missing) and ResolvConfLink
	// where it points when it is a symlink.
	ResolvConf     []byte
	ResolvConfLink string
	// Resolved holds systemd-resolved's resolved.conf and its drop-ins by
	// path; ResolvedUpstream is /run/systemd/resolve/resolv.conf (the
	// servers resolved forwards to), nil when resolved is not running.
	Resolved         map[string][]byte
	ResolvedUpstream []byte
	// Dnsmasq holds dnsmasq configuration files by path.
	Dnsmasq map[string][]byte
	// Orbit is the running agent's DNS server, nil when unreachable.
	Orbit *Info
}

// Finding is one line of the diagnosis.
type Finding struct {
	Level string // "ok", "info" or "warn"
	Text  string
}

// Diagnose explains how the host resolves the consul domain and other
// names, and warns about set-ups that loop (a resolver that forwards back
// to orbit while orbit forwards to it).
func Diagnose(in Input) []Finding {
	var out []Finding
	add := func(level, format string, args ...any) {
		out = append(out, Finding{level, fmt.Sprintf(format, args...)})
	}
	domain, orbitAddr := "consul.", netip.AddrPort{}
	if in.Orbit != nil {
		domain = in.Orbit.Domain
		orbitAddr, _ = netip.ParseAddrPort(in.Orbit.Addr)
		add("ok", "orbit's DNS server listens on %s and answers %s", in.Orbit.Addr, strings.Join(append([]string{in.Orbit.Domain}, in.Orbit.AltDomains...), ", "))
		switch {
		case !in.Orbit.Forwarding:
			add("info", "orbit does not forward other names (REFUSED); clients need another resolver for them")
		case len(in.Orbit.Upstreams) == 0:
			add("warn", "orbit forwards other names but has no upstream resolver: they get SERVFAIL (set dns upstreams, or fix /etc/resolv.conf)")
		default:
			add("ok", "orbit forwards other names to %s", strings.Join(in.Orbit.Upstreams, ", "))
		}
	} else {
		add("info", "no orbit agent answered; checking the host configuration only")
	}
	ns := ResolvConfNameservers(in.ResolvConf)
	switch {
	case in.ResolvConf == nil:
		add("warn", "/etc/resolv.conf is missing: programs using the libc resolver cannot resolve names")
	case len(ns) == 0:
		add("warn", "/etc/resolv.conf lists no nameserver")
	default:
		add("info", "/etc/resolv.conf sends every lookup to %s%s", joinAddrs(ns), linkNote(in.ResolvConfLink))
	}
	stub := slices.ContainsFunc(ns, isResolvedStub)
	if stub {
		out = append(out, diagnoseResolved(in, domain, orbitAddr)...)
	} else if orbitAddr.IsValid() && slices.ContainsFunc(ns, func(a netip.Addr) bool { return sameHost(a.String(), orbitAddr) }) {
		add("ok", "the host resolves every name through orbit directly (port 53)")
		if in.Orbit != nil && slices.ContainsFunc(in.Orbit.Upstreams, func(u string) bool { return sameHost(u, orbitAddr) }) {
			add("warn", "LOOP: orbit's upstream is orbit itself; set explicit upstreams instead of reading /etc/resolv.conf")
		}
	}
	out = append(out, diagnoseDnsmasq(in, domain, orbitAddr)...)
	if !slices.ContainsFunc(out, func(f Finding) bool {
		return strings.HasPrefix(f.Text, "."+strings.TrimSuffix(domain, ".")+" names go to orbit") || strings.HasPrefix(f.Text, "the host resolves every name through orbit")
	}) {
		add("info", "nothing on this host sends .%s names to orbit; with systemd-resolved add /etc/systemd/resolved.conf.d/orbit.conf:\n    [Resolve]\n    DNS=%s\n    Domains=~%s", strings.TrimSuffix(domain, "."), orbitTarget(orbitAddr), strings.TrimSuffix(domain, "."))
	}
	return out
}

func diagnoseResolved(in Input, domain string, orbit netip.AddrPort) []Finding {
	var out []Finding
	add := func(level, format string, args ...any) {
		out = append(out, Finding{level, fmt.Sprintf(format, args...)})
	}
	add("info", "127.0.0.53 is systemd-resolved's stub listener: resolved decides where each name goes")
	dnsServers, domains := resolvedSettings(in.Resolved)
	toOrbit := orbit.IsValid() && slices.ContainsFunc(dnsServers, func(s string) bool { return sameHost(s, orbit) })
	routed := slices.Contains(domains, "~"+strings.TrimSuffix(domain, ".")) || slices.Contains(domains, "~"+domain)
	switch {
	case toOrbit && routed:
		add("ok", ".%s names go to orbit (resolved: DNS=%s with Domains=~%s)", strings.TrimSuffix(domain, "."), orbit, strings.TrimSuffix(domain, "."))
	case toOrbit:
		add("info", ".%s names go to orbit (resolved: DNS=%s), and so do all other names: resolved has no ~%s routing domain", strings.TrimSuffix(domain, "."), orbit, strings.TrimSuffix(domain, "."))
		if in.Orbit != nil && slices.ContainsFunc(in.Orbit.Upstreams, isStubString) {
			add("warn", "LOOP: resolved sends every name to orbit and orbit forwards to resolved (127.0.0.53); add Domains=~%s to resolved's orbit drop-in, or give orbit real upstreams", strings.TrimSuffix(domain, "."))
		}
	}
	if in.Orbit != nil && slices.ContainsFunc(in.Orbit.Upstreams, isStubString) && !toOrbit {
		add("info", "orbit forwards to resolved's stub (127.0.0.53); that is safe while resolved does not send those names back to orbit")
	}
	if up := ResolvConfNameservers(in.ResolvedUpstream); orbit.IsValid() && slices.ContainsFunc(up, func(a netip.Addr) bool { return a == orbit.Addr() && orbit.Port() == 53 }) &&
		in.Orbit != nil && slices.ContainsFunc(in.Orbit.Upstreams, isStubString) {
		add("warn", "LOOP: resolved's upstreams include orbit (%s) while orbit forwards to resolved", orbit.Addr())
	}
	return out
}

func diagnoseDnsmasq(in Input, domain string, orbit netip.AddrPort) []Finding {
	var out []Finding
	d := strings.TrimSuffix(domain, ".")
	for path, data := range in.Dnsmasq {
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if !strings.HasPrefix(line, "server=/"+d+"/") {
				continue
			}
			target := strings.TrimPrefix(line, "server=/"+d+"/")
			target = strings.Replace(target, "#", ":", 1)
			if orbit.IsValid() && !sameHost(target, orbit) {
				out = append(out, Finding{"warn", fmt.Sprintf("%s sends .%s to %s, but orbit listens on %s", path, d, target, orbit)})
				continue
			}
			out = append(out, Finding{"ok", fmt.Sprintf(".%s names go to orbit (dnsmasq: %s)", d, line)})
		}
	}
	return out
}

// resolvedSettings reads DNS= and Domains= from resolved's [Resolve]
// sections (later files override earlier ones, as drop-ins do).
func resolvedSettings(files map[string][]byte) (dnsServers, domains []string) {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		section := ""
		sc := bufio.NewScanner(bytes.NewReader(files[p]))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if strings.HasPrefix(line, "[") {
				section = line
				continue
			}
			k, v, ok := strings.Cut(line, "=")
			if !ok || section != "[Resolve]" || strings.HasPrefix(line, "#") {
				continue
			}
			switch strings.TrimSpace(k) {
			case "DNS":
				dnsServers = strings.Fields(v)
			case "Domains":
				domains = strings.Fields(v)
			}
		}
	}
	return dnsServers, domains
}

func isResolvedStub(a netip.Addr) bool {
	return a == netip.MustParseAddr("127.0.0.53") || a == netip.MustParseAddr("127.0.0.54")
}

func isStubString(s string) bool {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		a, err := netip.ParseAddr(s)
		return err == nil && isResolvedStub(a)
	}
	return isResolvedStub(ap.Addr()) && ap.Port() == 53
}

// sameHost reports whether a resolver written "ip", "ip:port" or
// "ip:port#name" (resolved's syntax) is orbit's address.
func sameHost(s string, orbit netip.AddrPort) bool {
	s, _, _ = strings.Cut(s, "#")
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Port() == orbit.Port() && (ap.Addr() == orbit.Addr() || orbit.Addr().IsUnspecified() && ap.Addr().IsLoopback())
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return orbit.Port() == 53 && (a == orbit.Addr() || orbit.Addr().IsUnspecified() && a.IsLoopback())
	}
	return false
}

func orbitTarget(a netip.AddrPort) string {
	if !a.IsValid() {
		return "127.0.0.1:8600"
	}
	if a.Addr().IsUnspecified() {
		return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), a.Port()).String()
	}
	return a.String()
}

func joinAddrs(as []netip.Addr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

func linkNote(link string) string {
	if link == "" {
		return ""
	}
	return " (it links to " + link + ")"
}
