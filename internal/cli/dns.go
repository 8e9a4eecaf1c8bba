package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/orbit/orbit/internal/doctor"
	"github.com/orbit/orbit/internal/zone"
)

func cmdDNS(ctx context.Context, e *Env, args []string) int {
	return subcommand(ctx, e, "dns", args, map[string]func(context.Context, *Env, []string) int{
		"zone": dnsZone, "record": dnsRecord, "doctor": dnsDoctor,
	})
}

func dnsZone(ctx context.Context, e *Env, args []string) int {
	return subcommand(ctx, e, "dns zone", args, map[string]func(context.Context, *Env, []string) int{
		"create": zoneCreate, "list": zoneList, "delete": zoneDelete, "import": zoneImport, "export": zoneExport,
		"secure": zoneSecure, "dnssec": zoneDNSSEC,
	})
}

func dnsRecord(ctx context.Context, e *Env, args []string) int {
	return subcommand(ctx, e, "dns record", args, map[string]func(context.Context, *Env, []string) int{
		"set": recordSet, "delete": recordDelete, "list": recordList,
	})
}

// parseInterspersed parses flags that may come after positional
// arguments (`record set Z www A --ttl 60 10.0.0.1`); "--" ends flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func zonePath(name string, more ...string) string {
	p := "/v1/dns/zones/" + url.PathEscape(name)
	for _, m := range more {
		p += "/" + url.PathEscape(m)
	}
	return p
}

func listFlag(fs *flag.FlagSet, name, usage string) *[]string {
	var v []string
	fs.Func(name, usage+" (repeatable, or comma-separated)", func(s string) error {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				v = append(v, p)
			}
		}
		return nil
	})
	return &v
}

func zoneCreate(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "dns zone create")
	client := addressFlags(fs, e)
	notify := listFlag(fs, "also-notify", "secondary `ip[:port]` sent NOTIFY and allowed AXFR")
	allow := listFlag(fs, "allow-transfer", "further `address or CIDR` allowed AXFR")
	ttl := fs.Uint("ttl", 0, "default TTL of the zone's records in seconds (default 3600)")
	ns := fs.String("primary-ns", "", "SOA primary name server (default ns1.ZONE)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(e.Stderr, "usage: orbit dns zone create [-ttl N] [-also-notify IP[:PORT]] [-allow-transfer CIDR] ZONE")
		return 2
	}
	body := zone.Zone{TTL: uint32(*ttl), PrimaryNS: *ns, AlsoNotify: *notify, AllowTransfer: *allow}
	var z zone.Zone
	if _, err := client().do(ctx, "PUT", zonePath(pos[0]), body, &z); err != nil {
		return fail(e, err)
	}
	fmt.Fprintf(e.Stdout, "Zone %s created (serial %d)\n", z.Name, z.Serial)
	return 0
}

func zoneList(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "dns zone list")
	client := addressFlags(fs, e)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var zones []zone.Summary
	if _, err := client().do(ctx, "GET", "/v1/dns/zones", nil, &zones); err != nil {
		return fail(e, err)
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ZONE\tSERIAL\tRECORD SETS\tALSO NOTIFY")
	for _, z := range zones {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", z.Name, z.Serial, z.RecordSets, strings.Join(z.AlsoNotify, ","))
	}
	tw.Flush()
	return 0
}

func zoneDelete(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "dns zone delete")
	client := addressFlags(fs, e)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(e.Stderr, "usage: orbit dns zone delete ZONE")
		return 2
	}
	if _, err := client().do(ctx, "DELETE", zonePath(pos[0]), nil, nil); err != nil {
		return fail(e, err)
	}
	fmt.Fprintf(e.Stdout, "Zone %s deleted\n", pos[0])
	return 0
}

func zoneImport(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "dns zone import")
	client := addressFlags(fs, e)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 2 {
		fmt.Fprintln(e.Stderr, "usage: orbit dns zone import ZONE FILE   (FILE - reads stdin; the zone's records are replaced)")
		return 2
	}
	var data []byte
	if pos[1] == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(pos[1])
	}
	if err != nil {
		return fail(e, fmt.Errorf("read zone file: %w", err))
	}
	var info zone.Summary
	if _, err := client().do(ctx, "POST", zonePath(pos[0], "import"), data, &info); err != nil {
		return fail(e, err)
	}
	fmt.Fprintf(e.Stdout, "Zone %s imported: %d record sets, serial %d\n", info.Name, info.RecordSets, info.Serial)
	return 0
}

func zoneExport(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "dns zone export")
	client := addressFlags(fs, e)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(e.Stderr, "usage: orbit dns zone export ZONE")
		return 2
	}
	var raw []byte
	if _, err := client().do(ctx, "GET", zonePath(pos[0], "export"), nil, &raw); err != nil {
		return fail(e, err)
	}
	e.Stdout.Write(raw)
	return 0
}

func recordSet(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "dns record set")
	client := addressFlags(fs, e)
	ttl := fs.Uint("ttl", 0, "TTL in seconds (default: the zone's)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) < 4 {
		fmt.Fprintln(e.Stderr, "usage: orbit dns record set ZONE NAME TYPE [-ttl N] VALUE...\n  e.g. orbit dns record set lab.example www A 192.0.2.10 192.0.2.11")
		return 2
	}
	set := zone.RRSet{Name: pos[1], Type: pos[2], TTL: uint32(*ttl), Records: pos[3:]}
	var out []zone.RRSet
	if _, err := client().do(ctx, "PUT", zonePath(pos[0], "records"), set, &out); err != nil {
		return fail(e, err)
	}
	printSets(e, out)
	return 0
}

func recordDelete(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "dns record delete")
	client := addressFlags(fs, e)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 3 {
		fmt.Fprintln(e.Stderr, "usage: orbit dns record delete ZONE NAME TYPE")
		return 2
	}
	if _, err := client().do(ctx, "DELETE", zonePath(pos[0], "records", pos[1], pos[2]), nil, nil); err != nil {
		return fail(e, err)
	}
	fmt.Fprintf(e.Stdout, "Deleted %s %s from %s\n", pos[1], strings.ToUpper(pos[2]), pos[0])
	return 0
}

func recordList(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "dns record list")
	client := addressFlags(fs, e)
	name := fs.String("name", "", "only this owner name")
	typ := fs.String("type", "", "only this type")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(e.Stderr, "usage: orbit dns record list [-name NAME] [-type TYPE] ZONE")
		return 2
	}
	q := url.Values{}
	if *name != "" {
		q.Set("name", *name)
	}
	if *typ != "" {
		q.Set("type", *typ)
	}
	path := zonePath(pos[0], "records")
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var sets []zone.RRSet
	if _, err := client().do(ctx, "GET", path, nil, &sets); err != nil {
		return fail(e, err)
	}
	printSets(e, sets)
	return 0
}

func printSets(e *Env, sets []zone.RRSet) {
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTTL\tTYPE\tDATA")
	for _, s := range sets {
		for _, r := range s.Records {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", s.Name, s.TTL, s.Type, r)
		}
	}
	tw.Flush()
}

func dnsDoctor(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "dns doctor")
	client := addressFlags(fs, e)
	root := fs.String("root", "/", "read the host's files under this `directory` (for checking another system image)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	in := doctor.Gather(*root)
	var info doctor.Info
	if _, err := client().do(ctx, "GET", "/v1/dns/info", nil, &info); err == nil {
		in.Orbit = &info
	} else {
		var ae *apiError
		if errors.As(err, &ae) {
			fmt.Fprintf(e.Stderr, "note: the agent has no DNS server enabled (%v)\n", err)
		}
	}
	warnings := 0
	for _, f := range doctor.Diagnose(in) {
		mark := map[string]string{"ok": "[ok]  ", "info": "[info]", "warn": "[WARN]"}[f.Level]
		if f.Level == "warn" {
			warnings++
		}
		fmt.Fprintf(e.Stdout, "%s %s\n", mark, f.Text)
	}
	if warnings > 0 {
		return 1
	}
	return 0
}

// zoneSecure turns on DNSSEC online signing (as `pdnsutil secure-zone`)
// and prints the DS records to publish in the parent zone.
func zoneSecure(ctx context.Context, e *Env, args []string) int {
	return zoneKeyInfo(ctx, e, args, "secure", "POST", "secure")
}

// zoneDNSSEC prints a secured zone's DNSKEY and DS records.
func zoneDNSSEC(ctx context.Context, e *Env, args []string) int {
	return zoneKeyInfo(ctx, e, args, "dnssec", "GET", "dnssec")
}

func zoneKeyInfo(ctx context.Context, e *Env, args []string, cmd, method, sub string) int {
	fs := newFlagSet(e, "dns zone "+cmd)
	client := addressFlags(fs, e)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintf(e.Stderr, "usage: orbit dns zone %s ZONE\n", cmd)
		return 2
	}
	var info zone.DNSSECInfo
	if _, err := client().do(ctx, method, zonePath(pos[0], sub), nil, &info); err != nil {
		return fail(e, err)
	}
	fmt.Fprintf(e.Stdout, "Zone %s is signed (%s, key tag %d)\n%s\nDS records to publish in the parent zone:\n", info.Zone, info.Algorithm, info.KeyTag, info.DNSKEY)
	for _, ds := range info.DS {
		fmt.Fprintln(e.Stdout, ds)
	}
	return 0
}
