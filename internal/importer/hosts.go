package importer

import (
	"bufio"
	"bytes"
	"net"
	"sort"
	"strings"

	"github.com/orbit/orbit/internal/zone"
)

// PlanHosts maps an /etc/hosts style file into record sets of the
// authoritative zone zoneName: a name inside the zone (or a short name,
// taken as inside it) gets an A or AAAA record for each address that lists
// it. Loopback, link-local and multicast addresses and names outside the
// zone are reported as unmapped.
func PlanHosts(file string, src []byte, zoneName string) (*Plan, error) {
	b := newBuilder(file)
	origin := strings.ToLower(strings.TrimSuffix(zoneName, ".")) + "."
	type key struct{ name, typ string }
	sets := map[key][]string{}
	sc := bufio.NewScanner(bytes.NewReader(src))
	for line := 1; sc.Scan(); line++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(text)
		if len(fields) == 0 {
			continue
		}
		ip := net.ParseIP(fields[0])
		switch {
		case ip == nil:
			b.unmapped(line, "%q is not an IP address", fields[0])
			continue
		case len(fields) == 1:
			b.unmapped(line, "address %s has no names", fields[0])
			continue
		case ip.IsLoopback() || ip.IsUnspecified() || ip.IsLinkLocalUnicast() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast():
			continue // every host has these lines; they are not the zone's
		}
		typ := "A"
		if ip.To4() == nil {
			typ = "AAAA"
		}
		for _, n := range fields[1:] {
			name := strings.ToLower(strings.TrimSuffix(n, "."))
			if !strings.Contains(name, ".") {
				name += "." + strings.TrimSuffix(origin, ".")
			}
			fq := name + "."
			if fq != origin && !strings.HasSuffix(fq, "."+origin) {
				b.unmapped(line, "%s is outside zone %s", n, strings.TrimSuffix(origin, "."))
				continue
			}
			k := key{fq, typ}
			if !contains(sets[k], ip.String()) {
				sets[k] = append(sets[k], ip.String())
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	zr := ZoneRecords{Zone: strings.TrimSuffix(origin, ".")}
	for k, recs := range sets {
		zr.Sets = append(zr.Sets, zone.RRSet{Name: k.name, Type: k.typ, Records: recs})
	}
	sort.Slice(zr.Sets, func(i, j int) bool {
		if zr.Sets[i].Name != zr.Sets[j].Name {
			return zr.Sets[i].Name < zr.Sets[j].Name
		}
		return zr.Sets[i].Type < zr.Sets[j].Type
	})
	p := b.finish()
	if len(zr.Sets) > 0 {
		p.Records = []ZoneRecords{zr}
	}
	return p, nil
}
