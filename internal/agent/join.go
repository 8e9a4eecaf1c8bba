package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// joinServers asks the server agents' APIs for the store's endpoints with
// the agent's token: a client agent then reads and writes the servers'
// etcd directly.
func joinServers(ctx context.Context, servers, token string, ts tlsSettings) ([]string, error) {
	client, err := ts.httpClient(5 * time.Second)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, addr := range strings.Split(servers, ",") {
		addr = strings.TrimSpace(addr)
		if addr == "" {
			continue
		}
		addr = ts.baseURL(addr)
		req, err := http.NewRequestWithContext(ctx, "GET", addr+"/v1/agent/self", nil)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if token != "" {
			req.Header.Set("X-Consul-Token", token)
		}
		resp, err := client.Do(req)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if resp.StatusCode != http.StatusOK {
			msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
			resp.Body.Close()
			errs = append(errs, fmt.Errorf("%s: %s: %s", addr, resp.Status, strings.TrimSpace(string(msg))))
			continue
		}
		var self struct {
			Config struct {
				StoreEndpoints []string
				Server         bool
			}
		}
		err = json.NewDecoder(resp.Body).Decode(&self)
		resp.Body.Close()
		if err != nil || len(self.Config.StoreEndpoints) == 0 {
			errs = append(errs, fmt.Errorf("%s: not an orbit server (no store endpoints in /v1/agent/self)", addr))
			continue
		}
		var eps []string
		for _, e := range self.Config.StoreEndpoints {
			if _, hostPort, ok := strings.Cut(e, "://"); ok {
				e = hostPort
			}
			eps = append(eps, e)
		}
		return eps, nil
	}
	return nil, fmt.Errorf("join servers %s: %w (check -servers and that a server agent runs)", servers, errors.Join(errs...))
}
