package cli

import (
	"context"
	"fmt"
)

// cmdLeave asks the agent to leave the cluster gracefully and shut down,
// as `consul leave`: a server's store member is removed first, so the
// quorum shrinks with it.
func cmdLeave(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "leave")
	client := addressFlags(fs, e)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.Stderr, "orbit leave: unexpected arguments %v (it leaves the agent at -http-addr)\n", fs.Args())
		return 2
	}
	if _, err := client().do(ctx, "PUT", "/v1/agent/leave", nil, nil); err != nil {
		return fail(e, err)
	}
	fmt.Fprintln(e.Stdout, "Graceful leave complete")
	return 0
}

// cmdForceLeave removes a failed node, as `consul force-leave`: a node
// that is still alive is left alone; a failed server's store member is
// removed from the cluster too.
func cmdForceLeave(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "force-leave")
	client := addressFlags(fs, e)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.Stderr, "usage: orbit force-leave NODE   (a node that failed or was shut down without a graceful leave)")
		return 2
	}
	if _, err := client().do(ctx, "PUT", "/v1/agent/force-leave/"+esc(fs.Arg(0)), nil, nil); err != nil {
		return fail(e, err)
	}
	return 0
}
