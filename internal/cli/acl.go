package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/orbit/orbit/internal/acl"
)

// cmdACL manages ACL tokens, policies and roles through Consul's
// /v1/acl/* API, with consul acl's flags.
func cmdACL(ctx context.Context, e *Env, args []string) int {
	return subcommand(ctx, e, "acl", args, map[string]func(context.Context, *Env, []string) int{
		"bootstrap": aclBootstrap,
		"token":     cmdACLToken,
		"policy":    cmdACLPolicy,
		"role":      cmdACLRole,
	})
}

// aclFlags are the flags every ACL command has: the agent, the token and
// the output format.
type aclFlags struct {
	fs     *flag.FlagSet
	client func() *apiClient
	format *string
}

func newACLFlags(e *Env, name string) *aclFlags {
	fs := newFlagSet(e, "acl "+name)
	return &aclFlags{fs: fs, client: addressFlags(fs, e),
		format: fs.String("format", "pretty", "output format: pretty (text) or json (the API's answer)")}
}

// parse parses args; false after a usage error (reported).
func (f *aclFlags) parse(e *Env, args []string) bool {
	pos, err := parseArgs(f.fs, args)
	if err != nil {
		return false
	}
	if len(pos) > 0 {
		fmt.Fprintf(e.Stderr, "orbit %s: unexpected argument %q (values are given with flags, see -h)\n", f.fs.Name(), pos[0])
		return false
	}
	switch *f.format {
	case "pretty", "text", "json":
		return true
	}
	fmt.Fprintf(e.Stderr, "orbit %s: -format %q: want pretty or json\n", f.fs.Name(), *f.format)
	return false
}

// set reports whether flag name was given.
func (f *aclFlags) set(name string) bool {
	given := false
	f.fs.Visit(func(fl *flag.Flag) { given = given || fl.Name == name })
	return given
}

// show prints an answer: raw indented with -format json, else decoded
// into v and rendered by text.
func show[T any](e *Env, f *aclFlags, raw []byte, render func(io.Writer, T)) int {
	if *f.format == "json" {
		var buf bytes.Buffer
		if err := json.Indent(&buf, raw, "", "    "); err != nil {
			return fail(e, fmt.Errorf("answer is not JSON: %w", err))
		}
		buf.WriteByte('\n')
		e.Stdout.Write(buf.Bytes())
		return 0
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return fail(e, fmt.Errorf("decode answer: %w", err))
	}
	render(e.Stdout, v)
	return 0
}

// call sends a request and returns the raw answer.
func call(ctx context.Context, c *apiClient, method, path string, body any) ([]byte, error) {
	var raw []byte
	_, err := c.do(ctx, method, path, body, &raw)
	return raw, err
}

// errUsage is a missing or contradictory flag; the message says which.
func errUsage(format string, args ...any) error { return fmt.Errorf(format, args...) }

func aclBootstrap(ctx context.Context, e *Env, args []string) int {
	f := newACLFlags(e, "bootstrap")
	if !f.parse(e, args) {
		return 2
	}
	raw, err := call(ctx, f.client(), "PUT", "/v1/acl/bootstrap", nil)
	if err != nil {
		return fail(e, fmt.Errorf("bootstrap ACLs: %w", err))
	}
	code := show(e, f, raw, renderToken)
	if code == 0 && *f.format != "json" {
		fmt.Fprintln(e.Stderr, "\nThis is the management token: keep its SecretID safe, and use it with -token or ORBIT_TOKEN to create other tokens.")
	}
	return code
}

// links builds policy or role links from -X-id and -X-name flags.
func links(ids, names []string) []acl.Link {
	out := make([]acl.Link, 0, len(ids)+len(names))
	for _, id := range ids {
		out = append(out, acl.Link{ID: id})
	}
	for _, n := range names {
		out = append(out, acl.Link{Name: n})
	}
	return out
}

// serviceIdentities parses -service-identity values: NAME or
// NAME:DC1,DC2, as consul acl takes them.
func serviceIdentities(vals []string) ([]acl.ServiceIdentity, error) {
	out := make([]acl.ServiceIdentity, 0, len(vals))
	for _, v := range vals {
		name, dcs, _ := strings.Cut(v, ":")
		if name == "" {
			return nil, errUsage("-service-identity %q: want NAME or NAME:DC1,DC2", v)
		}
		s := acl.ServiceIdentity{ServiceName: name}
		for _, dc := range strings.Split(dcs, ",") {
			if dc = strings.TrimSpace(dc); dc != "" {
				s.Datacenters = append(s.Datacenters, dc)
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// readRules is a -rules value: @FILE reads a file, - reads stdin, anything
// else is the rules themselves; file (from -rules-file) wins when set.
func readRules(e *Env, value, file string) (string, error) {
	switch {
	case file != "" && value != "":
		return "", errUsage("give -rules or -rules-file, not both")
	case file != "":
		value = "@" + file
	}
	var b []byte
	var err error
	switch {
	case value == "-":
		b, err = io.ReadAll(stdin(e))
	case strings.HasPrefix(value, "@"):
		b, err = os.ReadFile(value[1:])
	default:
		return value, nil
	}
	if err != nil {
		return "", fmt.Errorf("read rules: %w", err)
	}
	return string(b), nil
}

// isUUID reports whether s has a UUID's shape (else it may be a prefix).
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if r != '-' {
				return false
			}
		case !strings.ContainsRune("0123456789abcdefABCDEF", r):
			return false
		}
	}
	return true
}

// expandID turns a unique ID prefix into the full ID, as consul acl
// accepts one, by listing path and reading each entry's idOf; a full
// UUID is returned as is.
func expandID[T any](ctx context.Context, c *apiClient, kind, path, prefix string, idOf func(T) string) (string, error) {
	if prefix == "" || isUUID(prefix) {
		return prefix, nil
	}
	var all []T
	if _, err := c.do(ctx, "GET", path, nil, &all); err != nil {
		return "", fmt.Errorf("look up %s ID prefix %q: %w", kind, prefix, err)
	}
	var found []string
	for _, v := range all {
		if id := idOf(v); strings.HasPrefix(id, prefix) {
			found = append(found, id)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return "", fmt.Errorf("no %s ID starts with %q (`orbit acl %s list` shows them)", kind, prefix, kind)
	}
	return "", fmt.Errorf("%s ID prefix %q matches %d: give more of it", kind, prefix, len(found))
}

// esc escapes one path segment.
func esc(s string) string { return url.PathEscape(s) }
