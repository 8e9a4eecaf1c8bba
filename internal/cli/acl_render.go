package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/orbit/orbit/internal/acl"
)

// The ACL commands' text output: one object as "Field: value" lines (as
// `consul acl ... read` prints it), a list as a table.

// renderToken writes one token.
func renderToken(w io.Writer, t *acl.Token) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "AccessorID:\t%s\n", t.AccessorID)
	fmt.Fprintf(tw, "SecretID:\t%s\n", t.SecretID)
	fmt.Fprintf(tw, "Description:\t%s\n", t.Description)
	fmt.Fprintf(tw, "Local:\t%t\n", t.Local)
	if t.AuthMethod != "" {
		fmt.Fprintf(tw, "Auth Method:\t%s\n", t.AuthMethod)
	}
	fmt.Fprintf(tw, "Create Time:\t%s\n", stamp(t.CreateTime))
	if t.ExpirationTime != nil {
		fmt.Fprintf(tw, "Expiration Time:\t%s\n", stamp(*t.ExpirationTime))
	}
	tw.Flush()
	renderLinks(w, "Policies", t.Policies)
	renderLinks(w, "Roles", t.Roles)
	renderIdentities(w, t.ServiceIdentities)
}

// renderPolicy writes one policy, its rules last.
func renderPolicy(w io.Writer, p *acl.Policy) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "ID:\t%s\n", p.ID)
	fmt.Fprintf(tw, "Name:\t%s\n", p.Name)
	fmt.Fprintf(tw, "Description:\t%s\n", p.Description)
	fmt.Fprintf(tw, "Datacenters:\t%s\n", datacenters(p.Datacenters))
	tw.Flush()
	fmt.Fprintln(w, "Rules:")
	if r := strings.TrimRight(p.Rules, "\n"); r != "" {
		fmt.Fprintln(w, r)
	}
}

// renderRole writes one role.
func renderRole(w io.Writer, r *acl.Role) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "ID:\t%s\n", r.ID)
	fmt.Fprintf(tw, "Name:\t%s\n", r.Name)
	fmt.Fprintf(tw, "Description:\t%s\n", r.Description)
	tw.Flush()
	renderLinks(w, "Policies", r.Policies)
	renderIdentities(w, r.ServiceIdentities)
}

// renderLinks writes "Title:" and a line per link, or nothing without any.
func renderLinks(w io.Writer, title string, ls []acl.Link) {
	if len(ls) == 0 {
		return
	}
	fmt.Fprintf(w, "%s:\n", title)
	for _, l := range ls {
		fmt.Fprintf(w, "   %s - %s\n", l.ID, l.Name)
	}
}

func renderIdentities(w io.Writer, ids []acl.ServiceIdentity) {
	if len(ids) == 0 {
		return
	}
	fmt.Fprintln(w, "Service Identities:")
	for _, s := range ids {
		fmt.Fprintf(w, "   %s (Datacenters: %s)\n", s.ServiceName, datacenters(s.Datacenters))
	}
}

// renderTokens writes a table of tokens (no secrets: read one for that).
func renderTokens(w io.Writer, ts []acl.Token) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AccessorID\tDescription\tPolicies\tRoles\tLocal\tExpires")
	for _, t := range ts {
		exp := "never"
		if t.ExpirationTime != nil {
			exp = stamp(*t.ExpirationTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%t\t%s\n", t.AccessorID, orDash(t.Description), linkNames(t.Policies),
			linkNames(t.Roles), t.Local, exp)
	}
	tw.Flush()
}

// renderPolicies writes a table of policies.
func renderPolicies(w io.Writer, ps []acl.Policy) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tName\tDescription\tDatacenters")
	for _, p := range ps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.ID, p.Name, orDash(p.Description), datacenters(p.Datacenters))
	}
	tw.Flush()
}

// renderRoles writes a table of roles.
func renderRoles(w io.Writer, rs []acl.Role) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tName\tDescription\tPolicies\tService Identities")
	for _, r := range rs {
		ids := make([]string, len(r.ServiceIdentities))
		for i, s := range r.ServiceIdentities {
			ids[i] = s.ServiceName
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Name, orDash(r.Description), linkNames(r.Policies), orDash(strings.Join(ids, ",")))
	}
	tw.Flush()
}

// linkNames is links' names joined, "-" for none.
func linkNames(ls []acl.Link) string {
	names := make([]string, len(ls))
	for i, l := range ls {
		names[i] = first(l.Name, l.ID)
	}
	return orDash(strings.Join(names, ","))
}

// datacenters is a list of datacenters, "all" when empty (valid in every
// datacenter, as Consul says).
func datacenters(dcs []string) string {
	if len(dcs) == 0 {
		return "all"
	}
	return strings.Join(dcs, ",")
}

// stamp is a time in UTC, to the second.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
