package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Env is what a command runs with.
type Env struct {
	Stdout, Stderr io.Writer
	// Getenv reads the environment (os.Getenv outside tests).
	Getenv func(string) string
	// Stdin is read by commands that take a value from "-".
	Stdin io.Reader
	// Address and Token are the global -address and -token given before
	// the command name; a command's own flags win over them.
	Address, Token string
}

func stdin(e *Env) io.Reader {
	if e.Stdin == nil {
		return os.Stdin
	}
	return e.Stdin
}

type command struct {
	summary string
	run     func(ctx context.Context, e *Env, args []string) int
}

func commands() map[string]command {
	return map[string]command{
		"agent":       {"run an orbit agent", cmdAgent},
		"acl":         {"bootstrap ACLs; manage tokens, policies and roles (as consul acl)", cmdACL},
		"version":     {"print the version", cmdVersion},
		"members":     {"list the cluster's nodes and their liveness", cmdMembers},
		"services":    {"list registered services", cmdServices},
		"kv":          {"get, put and delete KV entries", cmdKV},
		"audit":       {"check what runs now against the infrastructure standards", cmdAudit},
		"dns":         {"manage DNS zones and records; diagnose resolution", cmdDNS},
		"job":         {"validate, run, plan, inspect, stop and revert jobs", cmdJob},
		"alloc":       {"inspect allocations and read their logs", cmdAlloc},
		"deployment":  {"inspect deployments and promote their canaries", cmdDeployment},
		"node":        {"list the client nodes", cmdNode},
		"lock":        {"run a command while holding a KV lock (as consul lock)", cmdLock},
		"edge":        {"list the edge's certificates (names, issuer, expiry, resolver, last error)", cmdEdge},
		"operator":    {"list and remove the servers of the store cluster (operator raft)", cmdOperator},
		"snapshot":    {"save and restore the whole state (snapshot save|restore FILE)", cmdSnapshot},
		"import":      {"bring nginx, Traefik, hosts files and a running Consul or Nomad into orbit", cmdImport},
		"leave":       {"leave the cluster gracefully and shut the agent down (as consul leave)", cmdLeave},
		"force-leave": {"remove a failed node, and a failed server from the store cluster (as consul force-leave)", cmdForceLeave},
	}
}

// Main runs the command named by args[0] and returns the exit status.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runEnv(ctx, &Env{Stdout: stdout, Stderr: stderr, Getenv: os.Getenv}, args)
}

// runEnv is Main with its environment given.
func runEnv(ctx context.Context, e *Env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout, cmds)
		return 0
	}
	if args[0] == "-v" || args[0] == "--version" {
		args[0] = "version"
	}
	args, ok := globalFlags(e, args)
	if !ok {
		return 2
	}
	if len(args) == 0 {
		usage(stderr, cmds)
		return 2
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "orbit: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	return c.run(ctx, e, args[1:])
}

// globalFlags parses the flags given before the command name (-address,
// -token) into e and returns the rest; false after a bad flag, reported.
func globalFlags(e *Env, args []string) ([]string, bool) {
	fs := flag.NewFlagSet("orbit", flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	fs.StringVar(&e.Address, "address", "", "agent API address, for every command")
	fs.StringVar(&e.Token, "token", "", "ACL token sent with every request")
	if err := fs.Parse(args); err != nil {
		return nil, false
	}
	return fs.Args(), true
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: orbit [-address ADDR] [-token TOKEN] <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun `orbit <command> -h` for a command's flags.")
	fmt.Fprintln(w, "The token comes from -token, else $ORBIT_TOKEN, $CONSUL_HTTP_TOKEN, $NOMAD_TOKEN.")
}

// subcommand dispatches args[0] among subs; it prints usage for unknown ones.
func subcommand(ctx context.Context, e *Env, name string, args []string, subs map[string]func(context.Context, *Env, []string) int) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		names := make([]string, 0, len(subs))
		for n := range subs {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(e.Stderr, "usage: orbit %s <%s> ...\n", name, strings.Join(names, "|"))
		return 2
	}
	f, ok := subs[args[0]]
	if !ok {
		fmt.Fprintf(e.Stderr, "orbit %s: unknown subcommand %q\n", name, args[0])
		return 2
	}
	return f(ctx, e, args[1:])
}
