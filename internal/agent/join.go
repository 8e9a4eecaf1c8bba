package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/operator"
	"github.com/orbit/orbit/internal/store"
)

// joinServers asks the server agents' APIs for the store's endpoints with
// the agent's token (/v1/agent/self), or with a join token when one is
// given (clientJoinPath): a client agent then reads and writes the servers'
// etcd directly.
func joinServers(ctx context.Context, servers, token, joinToken, node string, ts tlsSettings) ([]string, error) {
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
		path := "/v1/agent/self"
		if joinToken != "" {
			path = clientJoinPath + "?node=" + url.QueryEscape(node)
		}
		req, err := http.NewRequestWithContext(ctx, "GET", addr+path, nil)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if token != "" {
			req.Header.Set("X-Consul-Token", token)
		}
		if joinToken != "" {
			req.Header.Set(operator.JoinTokenHeader, joinToken)
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
			if resp.StatusCode == http.StatusForbidden {
				break // every server answers the same
			}
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

// clientJoinPath is where a client agent holding a join token rather than
// an ACL token asks a server for the store's endpoints. It is orbit's own.
const clientJoinPath = "/v1/operator/store/client-join"

// clientJoinHandler answers GET clientJoinPath?node=NAME with the store's
// endpoints (in /v1/agent/self's shape) to a valid join token or an ACL
// token with node:write on NAME, the node the client registers. A join
// token allows this and the node's certificate, nothing else: it is no
// ACL token.
func (a *Agent) clientJoinHandler() http.Handler {
	kit := httpkit.New(a.log.With("component", "client-join"), a.auth, a.clock)
	return kit.Handle(func(w http.ResponseWriter, r *http.Request) error {
		if r.URL.Path != clientJoinPath {
			return fmt.Errorf("%w: %s", httpkit.ErrNotFound, r.URL.Path)
		}
		if r.Method != http.MethodGet {
			return httpkit.Errorf(http.StatusMethodNotAllowed, "%s %s: use GET", r.Method, r.URL.Path)
		}
		node := strings.TrimSpace(r.URL.Query().Get("node"))
		if node == "" {
			return httpkit.BadRequest("client join: ?node= (the joining agent's node name) is required")
		}
		if err := a.clientJoinAllowed(kit, r, node); err != nil {
			return err
		}
		var self struct {
			Config struct {
				StoreEndpoints []string
				Server         bool
			}
		}
		self.Config.StoreEndpoints = []string{a.store.ClientURL()}
		return httpkit.WriteJSON(w, r, http.StatusOK, self)
	})
}

// clientJoinAllowed lets a client's join or node certificate through with
// an ACL token holding node:write on node (or operator:write) or a valid
// join token, and refuses it with a 403 that says which.
func (a *Agent) clientJoinAllowed(kit *httpkit.Kit, r *http.Request, node string) error {
	aclErr := kit.Authorize(r, acl.Rule{Resource: acl.Node, Segment: node, Access: acl.Write})
	if aclErr == nil || kit.Authorize(r, acl.Rule{Resource: acl.Operator, Access: acl.Write}) == nil {
		return nil
	}
	secret := strings.TrimSpace(r.Header.Get(operator.JoinTokenHeader))
	if secret == "" {
		return aclErr
	}
	_, err := a.store.CheckJoinToken(r.Context(), secret, a.clock.Now())
	if errors.Is(err, store.ErrJoinTokenInvalid) {
		return &httpkit.Error{Code: http.StatusForbidden, Cause: err,
			Public: "client join refused: " + err.Error() + " (create one with `orbit operator join-token create`)"}
	}
	return err
}
