package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"
)

// joinToken is the shape of GET/PUT /v1/operator/join-tokens.
type joinToken struct {
	ID             string
	Description    string
	CreateTime     time.Time
	ExpirationTime time.Time
	SecretID       string // only when created
}

func cmdOperatorJoinToken(ctx context.Context, e *Env, args []string) int {
	return subcommand(ctx, e, "operator join-token", args, map[string]func(context.Context, *Env, []string) int{
		"create": cmdJoinTokenCreate,
		"list":   cmdJoinTokenList,
		"revoke": cmdJoinTokenRevoke,
	})
}

// cmdJoinTokenCreate creates a join token: a new server presents its secret
// with -join-token instead of an ACL token with operator:write.
func cmdJoinTokenCreate(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "operator join-token create")
	client := addressFlags(fs, e)
	desc := fs.String("description", "", "what the token is for")
	ttl := fs.Duration("ttl", 0, "how long the token is accepted (`duration`, e.g. 1h; 0: until revoked)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || *ttl < 0 {
		fmt.Fprintln(e.Stderr, "usage: orbit operator join-token create [-description TEXT] [-ttl DURATION]")
		return 2
	}
	body := map[string]string{"Description": *desc}
	if *ttl > 0 {
		body["TTL"] = ttl.String()
	}
	var t joinToken
	if _, err := client().do(ctx, "PUT", "/v1/operator/join-tokens", body, &t); err != nil {
		return fail(e, err)
	}
	fmt.Fprintf(e.Stdout, "ID:          %s\n", t.ID)
	fmt.Fprintf(e.Stdout, "SecretID:    %s\n", t.SecretID)
	if t.Description != "" {
		fmt.Fprintf(e.Stdout, "Description: %s\n", t.Description)
	}
	if !t.ExpirationTime.IsZero() {
		fmt.Fprintf(e.Stdout, "Expires:     %s\n", t.ExpirationTime.Format(time.RFC3339))
	}
	fmt.Fprintln(e.Stdout, "Start a new server with -join-token SECRET_ID -retry-join ...; the secret is not shown again.")
	return 0
}

func cmdJoinTokenList(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "operator join-token list")
	client := addressFlags(fs, e)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var ts []joinToken
	if _, err := client().do(ctx, "GET", "/v1/operator/join-tokens", nil, &ts); err != nil {
		return fail(e, err)
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDescription\tCreated\tExpires")
	for _, t := range ts {
		exp := "never"
		if !t.ExpirationTime.IsZero() {
			exp = t.ExpirationTime.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.ID, t.Description, t.CreateTime.Format(time.RFC3339), exp)
	}
	tw.Flush()
	return 0
}

func cmdJoinTokenRevoke(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "operator join-token revoke")
	client := addressFlags(fs, e)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.Stderr, "usage: orbit operator join-token revoke ID")
		return 2
	}
	if _, err := client().do(ctx, "DELETE", "/v1/operator/join-tokens/"+fs.Arg(0), nil, nil); err != nil {
		return fail(e, err)
	}
	fmt.Fprintf(e.Stdout, "Revoked join token %s\n", fs.Arg(0))
	return 0
}
