package policy

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

func checkHardcodedAddress(c *checker) {
	re := addressRE()
	c.eachText(func(sc scope, t text) {
		for _, m := range re.FindAllStringSubmatchIndex(t.value, -1) {
			start, end := m[2], m[3]
			addr, err := netip.ParseAddr(t.value[start:end])
			if err != nil || !hostAddress(addr) || cidr(t.value, end) {
				continue
			}
			where := "config"
			switch {
			case t.at != nil:
				where = "template"
			case t.key != "":
				where = t.key
			}
			c.report(sc, t.posAt(start), fmt.Sprintf("%s names the address %s of another host: services move, so use its service-discovery name (NAME.service.consul) or a template ({{ range service \"NAME\" }}{{ .Address }}:{{ .Port }}{{ end }})",
				where, addr))
		}
	})
}

// addressRE finds IPv4 and IPv6 literals not glued to other digits, dots
// or hex.
func addressRE() *regexp.Regexp {
	return regexp.MustCompile(`(?:^|[^0-9A-Za-z.:])((?:[0-9]{1,3}\.){3}[0-9]{1,3}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})(?:$|[^0-9A-Za-z.])`)
}

// hostAddress reports whether addr is a specific remote host: not the
// unspecified address, loopback, or a broadcast or netmask-looking value.
func hostAddress(addr netip.Addr) bool {
	if addr.IsUnspecified() || addr.IsLoopback() || !addr.IsValid() {
		return false
	}
	if addr.Is4() && addr.As4()[0] == 255 {
		return false
	}
	return true
}

// cidr reports whether the address ending at end is a network prefix
// ("10.0.0.0/8"), which names a range, not a host.
func cidr(s string, end int) bool {
	return strings.HasPrefix(s[end:], "/") && len(s) > end+1 && s[end+1] >= '0' && s[end+1] <= '9'
}
