package doctor

import (
	"bufio"
	"bytes"
	"net/netip"
	"strings"
)

// ResolvConfNameservers parses the nameserver lines of a resolv.conf,
// dropping IPv6 zones and lines that are not addresses.
func ResolvConfNameservers(data []byte) []netip.Addr {
	var out []netip.Addr
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "nameserver" {
			host, _, _ := strings.Cut(f[1], "%")
			if a, err := netip.ParseAddr(host); err == nil {
				out = append(out, a)
			}
		}
	}
	return out
}
