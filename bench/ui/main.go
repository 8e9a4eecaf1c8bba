// Command uibench measures the web UI against a real `orbit agent -dev`
// process: the server time of the services page with 1,000 services and
// 10,000 instances, and the weight of the overview page (shell, stylesheet,
// script and content). run.sh builds orbit and runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

func main() {
	bin := flag.String("orbit", "", "path of the orbit binary")
	services := flag.Int("services", 1000, "services to register")
	per := flag.Int("instances", 10, "instances per service")
	rounds := flag.Int("rounds", 50, "requests per measured page")
	flag.Parse()
	if err := run(*bin, *services, *per, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "uibench:", err)
		os.Exit(1)
	}
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func run(bin string, services, per, rounds int) error {
	if bin == "" {
		return errors.New("-orbit is required")
	}
	dir, err := os.MkdirTemp("", "uibench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	addr, err := freePort()
	if err != nil {
		return err
	}
	dns, err := freePort()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logf, err := os.Create(filepath.Join(dir, "agent.log"))
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, bin, "agent", "-dev", "-data-dir", filepath.Join(dir, "data"), "-http-addr", addr, "-dns-addr", dns, "-log-level", "warn")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start agent: %w", err)
	}
	defer func() { cancel(); _ = cmd.Wait() }()
	base := "http://" + addr
	if err := waitUp(base); err != nil {
		return err
	}
	start := time.Now()
	if err := register(base, services, per); err != nil {
		return err
	}
	fmt.Printf("registered %d services x %d instances (%d) in %v\n", services, per, services*per, time.Since(start).Round(time.Millisecond))
	// Wait until the view holds them all.
	for {
		n, _, err := get(base+"/v1/catalog/services", false)
		if err == nil && strings.Count(n, "svc-") >= services {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, p := range []string{"/ui/services", "/ui/services?page=10&sort=health", "/ui/services?q=svc-09", "/ui/services/svc-0001", "/ui/"} {
		var ds []time.Duration
		size := 0
		for range rounds {
			t0 := time.Now()
			body, _, err := get(base+p, true)
			if err != nil {
				return err
			}
			ds = append(ds, time.Since(t0))
			size = len(body)
		}
		slices.Sort(ds)
		fmt.Printf("%-36s min %7.2f ms  median %7.2f ms  p90 %7.2f ms  (%d bytes)\n", p, ms(ds[0]), ms(ds[len(ds)/2]), ms(ds[len(ds)*9/10]), size)
	}
	total := 0
	for _, part := range []struct {
		path string
		frag bool
	}{{"/ui/", false}, {"/ui/static/ui.css", false}, {"/ui/static/ui.js", false}, {"/ui/", true}} {
		body, _, err := get(base+part.path, part.frag)
		if err != nil {
			return err
		}
		fmt.Printf("overview weight: %-20s fragment=%-5v %7d bytes\n", part.path, part.frag, len(body))
		total += len(body)
	}
	fmt.Printf("overview page weight, scripts included: %d bytes (%.1f KB)\n", total, float64(total)/1024)
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func waitUp(base string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if body, _, err := get(base+"/v1/status/leader", false); err == nil && strings.Contains(body, ":") {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return errors.New("agent did not start in 60s")
}

func get(url string, fragment bool) (string, http.Header, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return "", nil, err
	}
	if fragment {
		req.Header.Set("X-Orbit-Fragment", "1")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", nil, fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b), resp.Header, err
}

// register puts services*per instances into the catalog, on 100 external
// nodes, each instance with a check (one in ten critical, one in twenty
// warning), 16 writers at once.
func register(base string, services, per int) error {
	jobs := make(chan int)
	errs := make(chan error, 16)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				svc, inst := i/per, i%per
				status := "passing"
				switch {
				case i%10 == 3:
					status = "critical"
				case i%20 == 7:
					status = "warning"
				}
				node := fmt.Sprintf("ext-%02d", i%100)
				body := fmt.Sprintf(`{"Node":%q,"Address":"10.0.%d.%d","Service":{"ID":"svc-%04d-%d","Service":"svc-%04d","Port":%d,"Tags":["v1","tier-%d"]},`+
					`"Check":{"CheckID":"c-svc-%04d-%d","Name":"http","Status":%q,"ServiceID":"svc-%04d-%d","Output":"HTTP GET: 200 OK"}}`,
					node, i%100/256, i%100, svc, inst, svc, 20000+i%12000, svc%3, svc, inst, status, svc, inst)
				req, _ := http.NewRequest(http.MethodPut, base+"/v1/catalog/register", strings.NewReader(body))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("register: %d %s", resp.StatusCode, b)
				}
			}
		}()
	}
	var first error
	done := make(chan struct{})
	go func() {
		for e := range errs {
			if first == nil {
				first = e
			}
		}
		close(done)
	}()
	for i := range services * per {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	<-done
	return first
}
