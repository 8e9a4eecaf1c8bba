package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
)

func cmdKV(ctx context.Context, e *Env, args []string) int {
	return subcommand(ctx, e, "kv", args, map[string]func(context.Context, *Env, []string) int{
		"get": kvGet, "put": kvPut, "delete": kvDelete,
	})
}

func kvPath(key string) string { return "/v1/kv/" + (&url.URL{Path: key}).EscapedPath() }

func kvGet(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "kv get")
	client := addressFlags(fs, e)
	recurse := fs.Bool("recurse", false, "print every key under the prefix as key:value")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.Stderr, "usage: orbit kv get [-recurse] KEY")
		return 2
	}
	key := fs.Arg(0)
	c := client()
	if *recurse {
		var entries []struct {
			Key   string
			Value []byte
		}
		if _, err := c.do(ctx, "GET", kvPath(key)+"?recurse", nil, &entries); err != nil {
			return kvFail(e, key, err)
		}
		for _, en := range entries {
			fmt.Fprintf(e.Stdout, "%s:%s\n", en.Key, en.Value)
		}
		return 0
	}
	var raw []byte
	if _, err := c.do(ctx, "GET", kvPath(key)+"?raw", nil, &raw); err != nil {
		return kvFail(e, key, err)
	}
	e.Stdout.Write(raw)
	if len(raw) > 0 && raw[len(raw)-1] != '\n' {
		fmt.Fprintln(e.Stdout)
	}
	return 0
}

func kvFail(e *Env, key string, err error) int {
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == 404 {
		fmt.Fprintf(e.Stderr, "Error! No key exists at: %s\n", key)
		return 1
	}
	return fail(e, err)
}

func kvPut(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "kv put")
	client := addressFlags(fs, e)
	flags := fs.Uint64("flags", 0, "opaque unsigned integer stored with the value")
	cas := fs.Int64("modify-index", -1, "write only if the key's modify index is this (0: only if absent)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		fmt.Fprintln(e.Stderr, "usage: orbit kv put [-flags N] [-modify-index N] KEY [VALUE|-]")
		return 2
	}
	key := fs.Arg(0)
	var val []byte
	if fs.NArg() == 2 {
		val = []byte(fs.Arg(1))
		if fs.Arg(1) == "-" {
			var err error
			if val, err = io.ReadAll(stdin(e)); err != nil {
				return fail(e, err)
			}
		}
	}
	q := url.Values{}
	if *flags != 0 {
		q.Set("flags", strconv.FormatUint(*flags, 10))
	}
	if *cas >= 0 {
		q.Set("cas", strconv.FormatInt(*cas, 10))
	}
	path := kvPath(key)
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var ok bool
	if _, err := client().do(ctx, "PUT", path, val, &ok); err != nil {
		return fail(e, err)
	}
	if !ok {
		fmt.Fprintf(e.Stderr, "Error! Did not write to %s: CAS failed (the key changed; read it again)\n", key)
		return 1
	}
	fmt.Fprintf(e.Stdout, "Success! Data written to: %s\n", key)
	return 0
}

func kvDelete(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "kv delete")
	client := addressFlags(fs, e)
	recurse := fs.Bool("recurse", false, "delete every key under the prefix")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.Stderr, "usage: orbit kv delete [-recurse] KEY")
		return 2
	}
	path := kvPath(fs.Arg(0))
	if *recurse {
		path += "?recurse"
	}
	if _, err := client().do(ctx, "DELETE", path, nil, nil); err != nil {
		return fail(e, err)
	}
	fmt.Fprintf(e.Stdout, "Success! Deleted key: %s\n", fs.Arg(0))
	return 0
}
