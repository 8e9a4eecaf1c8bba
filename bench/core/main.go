// Command corebench drives a running orbit agent for the core benchmarks:
// registrations per second, blocking-query fan-out, and many checks. See
// README.md; run.sh runs them all.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: corebench register|fanout|checks|backend [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "register":
		err = register(os.Args[2:])
	case "fanout":
		err = fanout(os.Args[2:])
	case "backend":
		err = backend(os.Args[2:])
	default:
		err = fmt.Errorf("unknown benchmark %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "corebench:", err)
		os.Exit(1)
	}
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 15 * time.Minute}

func put(url string, body any) error {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("PUT", url, bytes.NewReader(b))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("PUT %s: %d %s", url, resp.StatusCode, msg)
	}
	return nil
}

// backend serves 200 on every path, for http checks.
func backend(args []string) error {
	fs := flag.NewFlagSet("backend", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	fs.Parse(args)
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Println(l.Addr().String())
	return http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
}

// register registers n services, each with an http check, with c
// concurrent clients, and prints registrations per second.
func register(args []string) error {
	fs := flag.NewFlagSet("register", flag.ExitOnError)
	api := fs.String("api", "http://127.0.0.1:8500", "agent API")
	n := fs.Int("n", 1000, "services")
	c := fs.Int("c", 16, "concurrent clients")
	prefix := fs.String("prefix", "bench", "service name prefix")
	check := fs.String("check", "", "http check URL (empty: a TTL check)")
	interval := fs.String("interval", "10s", "check interval")
	fs.Parse(args)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, *c)
	start := time.Now()
	for w := 0; w < *c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= *n {
					return
				}
				chk := map[string]any{"TTL": "1h"}
				if *check != "" {
					chk = map[string]any{"HTTP": *check, "Interval": *interval, "Timeout": "2s"}
				}
				body := map[string]any{"ID": fmt.Sprintf("%s-%d", *prefix, i), "Name": fmt.Sprintf("%s-%d", *prefix, i%(*n)),
					"Port": 20000 + i%12000, "Tags": []string{"bench"}, "Check": chk}
				if err := put(*api+"/v1/agent/service/register", body); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	select {
	case err := <-errs:
		return err
	default:
	}
	fmt.Printf("registered %d services (each with one check) in %v: %.0f registrations/s\n", *n, el.Round(time.Millisecond), float64(*n)/el.Seconds())
	return nil
}

// fanout opens w blocking queries on one service, changes it, and measures
// the time until the last watcher has its answer.
func fanout(args []string) error {
	fs := flag.NewFlagSet("fanout", flag.ExitOnError)
	api := fs.String("api", "http://127.0.0.1:8500", "agent API")
	w := fs.Int("watchers", 1000, "blocking queries")
	rounds := fs.Int("rounds", 5, "changes to measure")
	fs.Parse(args)
	svc := map[string]any{"ID": "fanout-1", "Name": "fanout", "Port": 20001, "Check": map[string]any{"CheckID": "fanout-ttl", "TTL": "1h"}}
	if err := put(*api+"/v1/agent/service/register", svc); err != nil {
		return err
	}
	tr := &http.Transport{MaxIdleConnsPerHost: *w + 10, MaxConnsPerHost: 0}
	wc := &http.Client{Transport: tr, Timeout: 2 * time.Minute}
	var results []time.Duration
	for r := 0; r < *rounds; r++ {
		resp, err := wc.Get(*api + "/v1/health/service/fanout")
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		idx := resp.Header.Get("X-Consul-Index")
		var ready, done sync.WaitGroup
		var last atomic.Int64
		ready.Add(*w)
		done.Add(*w)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		for i := 0; i < *w; i++ {
			go func() {
				defer done.Done()
				req, _ := http.NewRequestWithContext(ctx, "GET", *api+"/v1/health/service/fanout?index="+idx+"&wait=60s", nil)
				ready.Done()
				resp, err := wc.Do(req)
				if err != nil {
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				now := time.Now().UnixNano()
				for {
					old := last.Load()
					if now <= old || last.CompareAndSwap(old, now) {
						break
					}
				}
			}()
		}
		ready.Wait()
		time.Sleep(time.Second) // let every query reach the server and block
		status := "pass"
		if r%2 == 1 {
			status = "fail"
		}
		changed := time.Now()
		if err := put(*api+"/v1/agent/check/"+status+"/fanout-ttl", nil); err != nil {
			cancel()
			return err
		}
		done.Wait()
		cancel()
		results = append(results, time.Duration(last.Load()-changed.UnixNano()))
	}
	sort.Slice(results, func(i, j int) bool { return results[i] < results[j] })
	var strs []string
	for _, d := range results {
		strs = append(strs, d.Round(100*time.Microsecond).String())
	}
	fmt.Printf("fan-out to %d watchers: change → last answer, median %v (rounds: %v)\n", *w, results[len(results)/2].Round(100*time.Microsecond), strs)
	return nil
}
