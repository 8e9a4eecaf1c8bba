package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// DefaultAddress is the agent API used without --address or ORBIT_ADDR.
const DefaultAddress = "http://127.0.0.1:8500"

// apiClient talks to an agent's HTTP API.
type apiClient struct {
	base  string   // the first agent's URL; requests are built against it
	all   []string // every agent's URL when several are given
	token string
	http  *http.Client
}

// addressFlags registers --address and --token on fs and returns a
// constructor for the client once flags are parsed.
func addressFlags(fs *flag.FlagSet, e *Env) func() *apiClient {
	return addressFlagsAs(fs, e, "address")
}

// addressFlagsAs is addressFlags with the agent's address flag named name,
// for commands whose own -address means something else (Consul's CLI
// calls it -http-addr).
func addressFlagsAs(fs *flag.FlagSet, e *Env, name string) func() *apiClient {
	addr := fs.String(name, "", "agent API `addresses`, comma-separated: the CLI fails over between them (default $ORBIT_ADDR or "+DefaultAddress+")")
	token := fs.String("token", "", "ACL token (default $ORBIT_TOKEN, $CONSUL_HTTP_TOKEN, $NOMAD_TOKEN)")
	return func() *apiClient {
		c := newAPIClient(first(*addr, e.Address, e.Getenv("ORBIT_ADDR"), DefaultAddress), resolveToken(*token, e))
		if ca := first(e.Getenv("ORBIT_CACERT"), e.Getenv("CONSUL_CACERT")); ca != "" {
			c.trustCA(ca)
		}
		return c
	}
}

// newAPIClient is a client of the agents listed in addrs (see
// parseAddresses): requests go to the first and fail over to the others.
// An unusable list is reported by the first request.
func newAPIClient(addrs, token string) *apiClient {
	us, err := parseAddresses(addrs)
	if err != nil {
		return &apiClient{base: addrs, token: token, http: &http.Client{Transport: badAddress{err}}}
	}
	c := &apiClient{base: us[0].String(), token: token, http: &http.Client{Timeout: 10 * time.Minute}}
	if len(us) > 1 {
		c.http.Transport = newFailover(us, nil)
		for _, u := range us {
			c.all = append(c.all, u.String())
		}
	}
	return c
}

// trustCA makes the client verify https:// agents against the PEM
// certificates in file (ORBIT_CACERT, as Consul's CONSUL_CACERT) instead
// of the system's roots; an unreadable file fails every request.
func (c *apiClient) trustCA(file string) {
	pem, err := os.ReadFile(file)
	pool := x509.NewCertPool()
	if err == nil && !pool.AppendCertsFromPEM(pem) {
		err = fmt.Errorf("no PEM certificate in %s", file)
	}
	if err != nil {
		c.http.Transport = badAddress{fmt.Errorf("ORBIT_CACERT: %w", err)}
		return
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	switch f := c.http.Transport.(type) {
	case *failover:
		f.next = tr
	case badAddress:
	default:
		c.http.Transport = tr
	}
}

// badAddress answers every request with the address list's error.
type badAddress struct{ err error }

func (b badAddress) RoundTrip(*http.Request) (*http.Response, error) { return nil, b.err }

// where names the agents the client talks to, for messages.
func (c *apiClient) where() string {
	if len(c.all) > 0 {
		return strings.Join(c.all, ", ")
	}
	return c.base
}

// tokenEnv lists the variables a token is read from when no -token is
// given, in order: orbit's own, then Consul's and Nomad's, so a shell set
// up for their CLIs works unchanged.
var tokenEnv = [...]string{"ORBIT_TOKEN", "CONSUL_HTTP_TOKEN", "NOMAD_TOKEN"}

// resolveToken is the command's -token, else the global -token, else the
// first of tokenEnv that is set; "" sends no token (anonymous).
func resolveToken(flagValue string, e *Env) string {
	if t := first(flagValue, e.Token); t != "" {
		return t
	}
	for _, v := range tokenEnv {
		if t := e.Getenv(v); t != "" {
			return t
		}
	}
	return ""
}

// first is the first non-empty string.
func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// newRequest builds a request to the agent carrying the client's token
// as X-Consul-Token: every request the CLI sends is built here.
func (c *apiClient) newRequest(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if c.token != "" {
		req.Header.Set("X-Consul-Token", c.token)
	}
	return req, nil
}

// apiError is a non-2xx answer, with the agent's message.
type apiError struct {
	Status  int
	Message string
}

func (e *apiError) Error() string {
	msg := fmt.Sprintf("agent answered %d: %s", e.Status, strings.TrimSpace(e.Message))
	if h := hint(e.Status, e.Message); h != "" {
		msg += "\n" + h
	}
	return msg
}

// hint says what to do next after a refused request, or "".
func hint(status int, msg string) string {
	switch {
	case strings.Contains(msg, "ACL support disabled"):
		return "ACLs are off on this agent: turn them on with acl { enabled = true } in its configuration."
	case strings.Contains(msg, "ACL bootstrap no longer allowed"):
		return "ACLs were bootstrapped already: use the management token it returned (or one made with it) via -token or ORBIT_TOKEN;\n" +
			"to bootstrap again, write the reset index above into the acl-bootstrap-reset file of a server's data directory."
	case status == http.StatusNotFound && strings.Contains(msg, "ACL not found"):
		return "Nothing has that ID or name: `orbit acl policy list` and `orbit acl role list` show what exists."
	case status == http.StatusForbidden && strings.Contains(msg, "ACL not found"):
		return "Either the token sent (-token, ORBIT_TOKEN) is unknown (deleted, expired or mistyped), or what was asked for does not exist: check both."
	case status == http.StatusForbidden || status == http.StatusUnauthorized:
		return "Pass a token that holds this permission with -token or ORBIT_TOKEN (`orbit acl token read -self` shows the token's policies)."
	}
	return ""
}

// do sends a request; body (when not nil and not []byte) is sent as JSON;
// out (when not nil) receives the decoded JSON answer. It returns the
// response headers.
func (c *apiClient) do(ctx context.Context, method, path string, body, out any) (http.Header, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := c.newRequest(ctx, method, path, rd)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the orbit agent at %s (is `orbit agent` running? set --address or ORBIT_ADDR): %w", c.where(), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.Header, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return resp.Header, &apiError{Status: resp.StatusCode, Message: string(data)}
	}
	if out != nil {
		if raw, ok := out.(*[]byte); ok {
			*raw = data
			return resp.Header, nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			return resp.Header, fmt.Errorf("decode answer from %s: %w", path, err)
		}
	}
	return resp.Header, nil
}

// newFlagSet returns a flag set that reports errors to e.Stderr. Go's flag
// package already accepts both -x and --x.
func newFlagSet(e *Env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("orbit "+name, flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	return fs
}

// fail prints an error and returns exit status 1.
func fail(e *Env, err error) int {
	fmt.Fprintf(e.Stderr, "Error: %v\n", err)
	return 1
}
