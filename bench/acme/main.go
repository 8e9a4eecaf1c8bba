// Command acme measures "order to serving on every edge node": two real
// `orbit agent` processes on one store (a server with the edge role and a
// second edge joined to it) and pebble, Let's Encrypt's test ACME server,
// validating through orbit's DNS. Each run registers a service whose
// router asks resolver "le" for a new name and times, from the
// registration, until each edge serves that name with a certificate
// chaining to pebble's root. It is a benchmark, not a test: run it with
// run.sh (see README.md).
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/orbittest"
)

func main() {
	runs := flag.Int("runs", 1, "names ordered, one after the other")
	challenge := flag.String("challenge", "http-01", "http-01, tls-alpn-01 or dns-01")
	flag.Parse()
	if err := run(*runs, *challenge); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// agentProc is a running `orbit agent`.
type agentProc struct {
	cmd              *exec.Cmd
	api, web, websec string
	logs             bytes.Buffer
}

func (a *agentProc) stop() {
	a.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { a.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		a.cmd.Process.Kill()
		<-done
	}
}

func free() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func port(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

func build(dir, pkg string) (string, error) {
	bin := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %v\n%s", pkg, err, out)
	}
	return bin, nil
}

// startAgent runs `orbit agent` with args and waits until its API answers.
func startAgent(bin, api, web, websec string, args ...string) (*agentProc, error) {
	a := &agentProc{api: api, web: web, websec: websec}
	a.cmd = exec.Command(bin, append([]string{"agent", "-http-addr", api, "-lease-ttl", "2s",
		"-entrypoint", "web=" + web + ",websecure=" + websec}, args...)...)
	a.cmd.Stdout, a.cmd.Stderr = &a.logs, &a.logs
	if err := a.cmd.Start(); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get("http://" + api + "/v1/agent/self"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return a, nil
			}
		}
	}
	a.stop()
	return nil, fmt.Errorf("agent on %s did not start:\n%s", api, a.logs.String())
}

func orbitCLI(bin, api string, args ...string) error {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "ORBIT_ADDR=http://"+api)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("orbit %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// servedBy reports whether addr serves name with a certificate chaining
// to roots.
func servedBy(addr, name string, roots *x509.CertPool) bool {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", addr, &tls.Config{ServerName: name, RootCAs: roots})
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

func run(runs int, challenge string) error {
	tmp, err := os.MkdirTemp("", "orbit-bench-acme")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	orbit, err := build(tmp, "github.com/orbit/orbit/cmd/orbit")
	if err != nil {
		return err
	}
	pebbleBin, err := build(tmp, "github.com/letsencrypt/pebble/v2/cmd/pebble")
	if err != nil {
		return err
	}
	// Both edges answer on loopback; pebble validates on edge1's ports.
	web1, tls1, dns1 := free(), free(), free()
	pdir := filepath.Join(tmp, "pebble-data")
	os.Mkdir(pdir, 0o700)
	peb, err := orbittest.RunPebble(pebbleBin, pdir, orbittest.PebbleConfig{HTTPPort: port(web1), TLSPort: port(tls1), DNSServer: dns1}, func(string) {})
	if err != nil {
		return err
	}
	defer peb.Stop()
	conf := filepath.Join(tmp, "agent.hcl")
	root := filepath.Join(tmp, "pebble-root.pem")
	os.WriteFile(root, peb.CARoot, 0o600)
	os.WriteFile(conf, []byte(fmt.Sprintf(`edge_config {
  certificate_resolver "le" {
    acme {
      email     = "ops@lab.test"
      ca_server = %q
      ca_root   = %q
      challenge = %q
    }
  }
}
`, peb.Directory, root, challenge)), 0o600)
	api1 := free()
	e1, err := startAgent(orbit, api1, web1, tls1, "-dev", "-node", "edge1", "-data-dir", filepath.Join(tmp, "d1"),
		"-dns-addr", dns1, "-config", conf)
	if err != nil {
		return err
	}
	defer e1.stop()
	e2, err := startAgent(orbit, free(), free(), free(), "-edge", "-node", "edge2", "-data-dir", filepath.Join(tmp, "d2"),
		"-servers", api1, "-bind", "127.0.0.1", "-dns-addr", "off", "-config", conf)
	if err != nil {
		return err
	}
	defer e2.stop()
	if err := orbitCLI(orbit, api1, "dns", "zone", "create", "lab.test"); err != nil {
		return err
	}
	if err := orbitCLI(orbit, api1, "dns", "record", "set", "lab.test", "*", "A", "--ttl", "5", "127.0.0.1"); err != nil {
		return err
	}
	roots, err := peb.Roots()
	if err != nil {
		return err
	}
	backend := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })}
	bl, _ := net.Listen("tcp", "127.0.0.1:0")
	go backend.Serve(bl)
	defer backend.Close()

	fmt.Printf("challenge\trun\tedge1\tedge2\tevery edge\n")
	var all []time.Duration
	for i := range runs {
		name := fmt.Sprintf("bench-%d-%d.lab.test", i, time.Now().UnixNano()%100000)
		body := fmt.Sprintf(`{"Name":"b%d","Port":%d,"Address":"127.0.0.1","Tags":["traefik.enable=true",
"traefik.http.routers.b%d.rule=Host(\u0060%s\u0060)","traefik.http.routers.b%d.tls.certresolver=le"],
"Check":{"TTL":"1h","Status":"passing"}}`, i, port(bl.Addr().String()), i, name, i)
		req, _ := http.NewRequest("PUT", "http://"+api1+"/v1/agent/service/register", strings.NewReader(body))
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("register: %s", resp.Status)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		took := map[string]time.Duration{}
		for len(took) < 2 && ctx.Err() == nil {
			for node, addr := range map[string]string{"edge1": e1.websec, "edge2": e2.websec} {
				if _, ok := took[node]; !ok && servedBy(addr, name, roots) {
					took[node] = time.Since(start)
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		if len(took) < 2 {
			return errors.New("not served on every edge in 2m; edge1's log:\n" + e1.logs.String())
		}
		every := max(took["edge1"], took["edge2"])
		all = append(all, every)
		fmt.Printf("%s\t%d\t%v\t%v\t%v\n", challenge, i+1, took["edge1"].Round(time.Millisecond), took["edge2"].Round(time.Millisecond), every.Round(time.Millisecond))
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	fmt.Printf("median order to serving on every edge: %v over %d runs\n", all[len(all)/2].Round(time.Millisecond), len(all))
	return nil
}
