package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
)

func cmdEdge(ctx context.Context, e *Env, args []string) int {
	return subcommand(ctx, e, "edge", args, map[string]func(context.Context, *Env, []string) int{
		"certs": edgeCerts,
	})
}

// edgeCert is one entry of GET /v1/edge/certs.
type edgeCert struct {
	Resolver    string    `json:"resolver"`
	Name        string    `json:"name"`
	Names       []string  `json:"names"`
	Issuer      string    `json:"issuer"`
	NotAfter    time.Time `json:"notAfter"`
	Obtaining   bool      `json:"obtaining"`
	LastError   string    `json:"lastError"`
	LastErrorAt time.Time `json:"lastErrorAt"`
}

// edgeCerts lists the certificates the agent's edge serves: configured
// files and those of the certificate resolvers, with their last error.
func edgeCerts(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "edge certs")
	client := addressFlags(fs, e)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var certs []edgeCert
	if _, err := client().do(ctx, "GET", "/v1/edge/certs", nil, &certs); err != nil {
		return fail(e, err)
	}
	now := time.Now()
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "Name\tResolver\tNames\tIssuer\tExpires\tStatus")
	for _, c := range certs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Name, c.Resolver, dash(strings.Join(c.Names, ",")), dash(c.Issuer),
			expires(c.NotAfter, now), certStatus(c, now))
	}
	tw.Flush()
	return 0
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// expires is an expiry date with the days left.
func expires(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return fmt.Sprintf("%s (%dd)", t.UTC().Format("2006-01-02"), int(t.Sub(now).Hours()/24))
}

// certStatus is what a user needs to know of a certificate first.
func certStatus(c edgeCert, now time.Time) string {
	switch {
	case c.LastError != "":
		return "error: " + c.LastError
	case c.Obtaining:
		return "obtaining"
	case c.NotAfter.IsZero():
		return "pending"
	case !c.NotAfter.After(now):
		return "expired"
	}
	return "valid"
}
