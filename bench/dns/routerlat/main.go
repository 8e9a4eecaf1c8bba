// Command routerlat measures how long a new edge router's host name takes
// to be answered by orbit's DNS: for each of -n routers it registers a
// service with a Traefik Host rule through the agent's Consul API, then
// asks DNS for the host name until it is answered, and reports the time
// from sending the registration to the first answer, and from the
// registration's reply (the catalog write committed) to the first answer
// (p50 and max of each). It is part of bench/dns/run.sh, which starts the
// agent; it is not a test.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"time"

	"github.com/miekg/dns"
)

func main() {
	api := flag.String("api", "127.0.0.1:8500", "the agent's HTTP API address")
	dnsAddr := flag.String("dns", "127.0.0.1:8600", "the agent's DNS address")
	n := flag.Int("n", 50, "routers to register, one after the other")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	lat, after, err := run(ctx, *api, *dnsAddr, *n)
	if err != nil {
		fmt.Fprintln(os.Stderr, "routerlat:", err)
		os.Exit(1)
	}
	slices.Sort(lat)
	slices.Sort(after)
	fmt.Printf("routers %d; registration sent → answered: p50 %.2f ms, max %.2f ms; registration committed → answered: p50 %.2f ms, max %.2f ms\n",
		len(lat), ms(lat[len(lat)/2]), ms(lat[len(lat)-1]), ms(after[len(after)/2]), ms(after[len(after)-1]))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func run(ctx context.Context, api, dnsAddr string, n int) (sent, committed []time.Duration, err error) {
	c := &dns.Client{Net: "udp", Timeout: time.Second}
	for i := range n {
		host := fmt.Sprintf("rlat%d.routers.test", i)
		start := time.Now()
		if err := register(ctx, api, i, host); err != nil {
			return nil, nil, err
		}
		done := time.Now()
		for {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			if time.Since(start) > 10*time.Second {
				return nil, nil, fmt.Errorf("%s not answered 10s after its registration", host)
			}
			m := new(dns.Msg)
			m.SetQuestion(host+".", dns.TypeA)
			r, _, err := c.ExchangeContext(ctx, m, dnsAddr)
			if err == nil && r.Rcode == dns.RcodeSuccess && len(r.Answer) > 0 {
				now := time.Now()
				sent, committed = append(sent, now.Sub(start)), append(committed, now.Sub(done))
				break
			}
		}
	}
	return sent, committed, nil
}

// register adds one instance (passing: it has no check) routed by
// Host(host) through the Consul agent endpoint.
func register(ctx context.Context, api string, i int, host string) error {
	body, _ := json.Marshal(map[string]any{
		"ID": fmt.Sprintf("rlat-%d", i), "Name": fmt.Sprintf("rlat-%d", i), "Address": "127.0.0.1", "Port": 9,
		"Tags": []string{"traefik.enable=true", "traefik.http.routers.rlat" + fmt.Sprint(i) + ".rule=Host(`" + host + "`)"},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, "http://"+api+"/v1/agent/service/register", bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("register %s: %w", host, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("register %s: %w", host, errors.New(resp.Status))
	}
	return nil
}
