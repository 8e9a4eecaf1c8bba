package doctor

import (
	"os"
	"path/filepath"
	"strings"
)

// Gather reads the host's resolver configuration under root ("/" for this
// host, another directory for a system image). Missing files are left nil
// or out of the maps; Orbit is left for the caller to fill.
func Gather(root string) Input {
	at := func(p string) string { return filepath.Join(root, p) }
	read := func(p string) []byte {
		b, err := os.ReadFile(at(p))
		if err != nil {
			return nil
		}
		return b
	}
	in := Input{ResolvConf: read("/etc/resolv.conf"), ResolvedUpstream: read("/run/systemd/resolve/resolv.conf"),
		Resolved: map[string][]byte{}, Dnsmasq: map[string][]byte{}}
	if link, err := os.Readlink(at("/etc/resolv.conf")); err == nil {
		in.ResolvConfLink = link
	}
	globs := map[*map[string][]byte][]string{
		&in.Resolved: {"/etc/systemd/resolved.conf", "/etc/systemd/resolved.conf.d/*.conf", "/run/systemd/resolved.conf.d/*.conf"},
		&in.Dnsmasq:  {"/etc/dnsmasq.conf", "/etc/dnsmasq.d/*", "/etc/NetworkManager/dnsmasq.d/*"},
	}
	for dst, patterns := range globs {
		for _, pat := range patterns {
			matches, _ := filepath.Glob(at(pat))
			for _, m := range matches {
				if b, err := os.ReadFile(m); err == nil {
					(*dst)[strings.TrimPrefix(m, strings.TrimSuffix(root, "/"))] = b
				}
			}
		}
	}
	return in
}
