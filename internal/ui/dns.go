package ui

import (
	"slices"
	"strings"

	"github.com/orbit/orbit/internal/acl"
)

type zoneRow struct {
	Name       string
	Serial     uint32
	TTL        uint32
	PrimaryNS  string
	RecordSets int
}

type rrset struct {
	Name, Type string
	TTL        uint32
	Records    []string
}

type dnsData struct {
	Zones    []zoneRow
	Info     map[string]any
	InfoKeys []string
	CanWrite bool
	Note     string
}

type zoneData struct {
	Zone     zoneRow
	Sets     []rrset
	Pager    pager
	CanWrite bool
}

func (*zoneData) tplName() string { return "zone" }

// dns lists the authoritative zones and the resolver doctor's findings
// (/v1/dns/info); a zone's page lists its record sets with their editor.
func (s *Server) dns(rc *reqCtx) (any, error) {
	if z := rc.arg(0); z != "" {
		var det struct {
			Zone   zoneRow
			RRSets []rrset
		}
		if err := rc.get("/v1/dns/zones/"+escapeKey(z), &det); err != nil {
			return nil, publicErr(err)
		}
		l := parseList(rc.q, "name")
		d := &zoneData{Zone: det.Zone, CanWrite: rc.can(acl.DNS, z, acl.Write)}
		for _, r := range det.RRSets {
			if l.match(r.Name, r.Type, strings.Join(r.Records, " ")) {
				d.Sets = append(d.Sets, r)
			}
		}
		d.Sets, d.Pager = paginate(l, d.Sets)
		return d, nil
	}
	d := &dnsData{CanWrite: rc.can(acl.DNS, "", acl.Write)}
	if err := rc.get("/v1/dns/zones", &d.Zones); err != nil {
		d.Note = "zones are not readable here: " + errNote(err)
	}
	l := parseList(rc.q, "name")
	d.Zones = slices.DeleteFunc(d.Zones, func(z zoneRow) bool { return !l.match(z.Name, z.PrimaryNS) })
	if err := rc.get("/v1/dns/info", &d.Info); err == nil {
		for k := range d.Info {
			d.InfoKeys = append(d.InfoKeys, k)
		}
		sortStrings(d.InfoKeys)
	}
	return d, nil
}

func sortStrings(s []string) { slices.Sort(s) }
