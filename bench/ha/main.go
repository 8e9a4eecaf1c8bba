// Command habench drives the HA benchmarks of bench/ha/run.sh: KV writes/s
// through orbit's /v1/kv or etcd's own HTTP gateway (/v3/kv/put), and the
// longest write gap while run.sh kills a server.
package main

import (
	"bytes"
	"encoding/base64"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: habench put|gap [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	urls := fs.String("urls", "", "comma-separated base URLs (http://host:port), tried in turn")
	token := fs.String("token", "", "X-Consul-Token")
	etcd := fs.Bool("etcd", false, "write through etcd's /v3/kv/put instead of orbit's /v1/kv")
	n := fs.Int("n", 5000, "writes (put)")
	c := fs.Int("c", 16, "concurrent writers")
	dur := fs.Duration("d", 20*time.Second, "how long to write (gap)")
	fs.Parse(os.Args[2:])
	w := &writer{urls: strings.Split(*urls, ","), token: *token, etcd: *etcd,
		client: &http.Client{Timeout: 10 * time.Second}}
	switch os.Args[1] {
	case "put":
		w.put(*n, *c)
	case "gap":
		w.gap(*c, *dur)
	default:
		fmt.Fprintln(os.Stderr, "usage: habench put|gap [flags]")
		os.Exit(2)
	}
}

type writer struct {
	urls   []string
	token  string
	etcd   bool
	client *http.Client
}

// write puts key=val through urls[i%len] and reports whether it was acknowledged.
func (w *writer) write(i int, key, val string) bool {
	base := w.urls[i%len(w.urls)]
	var req *http.Request
	if w.etcd {
		body := fmt.Sprintf(`{"key":%q,"value":%q}`, base64.StdEncoding.EncodeToString([]byte(key)), base64.StdEncoding.EncodeToString([]byte(val)))
		req, _ = http.NewRequest("POST", base+"/v3/kv/put", strings.NewReader(body))
	} else {
		req, _ = http.NewRequest("PUT", base+"/v1/kv/"+key, bytes.NewReader([]byte(val)))
		req.Header.Set("X-Consul-Token", w.token)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return false
	}
	var buf [64]byte
	resp.Body.Read(buf[:])
	resp.Body.Close()
	return resp.StatusCode == 200
}

func (w *writer) put(n, c int) {
	var next, failed atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for g := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > n {
					return
				}
				if !w.write(g, fmt.Sprintf("bench/%d", i), "v") {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	fmt.Printf("%d writes (%d failed) with %d writers in %v: %.0f writes/s\n", n, failed.Load(), c, el.Round(time.Millisecond), float64(n)/el.Seconds())
}

// gap writes for d with c writers, each moving to the next URL after a
// failure, and prints the longest time without an acknowledged write.
func (w *writer) gap(c int, d time.Duration) {
	var mu sync.Mutex // guards acks
	var acks []time.Time
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for g := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			at := g
			for i := 0; time.Now().Before(stop); i++ {
				if w.write(at, fmt.Sprintf("gap/%d/%d", g, i), "v") {
					mu.Lock()
					acks = append(acks, time.Now())
					mu.Unlock()
				} else {
					at++
				}
			}
		}()
	}
	wg.Wait()
	sort.Slice(acks, func(i, j int) bool { return acks[i].Before(acks[j]) })
	var gap time.Duration
	for i := 1; i < len(acks); i++ {
		gap = max(gap, acks[i].Sub(acks[i-1]))
	}
	fmt.Printf("%d writes acknowledged in %v; longest write gap: %v\n", len(acks), d, gap.Round(time.Millisecond))
}
