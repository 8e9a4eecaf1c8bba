package agent

import (
	"bytes"
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

// storeJoinPath is where a server asks an existing server to add it to the
// store's etcd cluster as a learner. It is orbit's own (Consul's servers
// join over Serf). A join needs an ACL token with operator:write or a join
// token (operator.JoinTokenHeader); joinAllowed decides.
const storeJoinPath = "/v1/operator/store/join"

// storeJoinRequest is the body of PUT storeJoinPath.
type storeJoinRequest struct {
	Name    string // the joining member's name (its node name)
	PeerURL string // where it listens for its etcd peers
}

// storeJoinResponse lists the members to start the new member with, and
// hands it the servers' seal key (see store.SealKey).
type storeJoinResponse struct {
	Members []store.Member
	SealKey string `json:",omitempty"`
}

// storeJoinHandler adds the asking server as a learner of this server's
// embedded member. A busy cluster (another learner waiting, or a member
// connected moments ago) answers 503 so the asker retries.
func (a *Agent) storeJoinHandler() http.Handler {
	kit := httpkit.New(a.log.With("component", "store-join"), a.auth, a.clock)
	return kit.Handle(func(w http.ResponseWriter, r *http.Request) error {
		if r.Method != http.MethodPut && r.Method != http.MethodPost {
			return httpkit.Errorf(http.StatusMethodNotAllowed, "%s %s: use PUT", r.Method, r.URL.Path)
		}
		if err := a.joinAllowed(kit, r); err != nil {
			return err
		}
		var req storeJoinRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
			return httpkit.BadRequest("store join body: %v", err)
		}
		if req.Name == "" {
			return httpkit.BadRequest("store join: Name is required")
		}
		if u, err := url.Parse(req.PeerURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return httpkit.BadRequest("store join: PeerURL %q is not an http(s)://host:port URL", req.PeerURL)
		}
		ms, err := a.store.AddLearner(r.Context(), req.Name, req.PeerURL)
		if errors.Is(err, store.ErrLearnerPending) || errors.Is(err, store.ErrUnsettled) {
			return &httpkit.Error{Code: http.StatusServiceUnavailable, Public: err.Error(), Cause: err}
		}
		if err != nil {
			return fmt.Errorf("store join %q: %w", req.Name, err)
		}
		out := storeJoinResponse{Members: ms}
		if a.sealKey != nil {
			out.SealKey = a.sealKey.String()
		}
		return httpkit.WriteJSON(w, r, http.StatusOK, out)
	})
}

// joinAllowed lets a join through with an ACL token holding operator:write
// or a valid join token, and refuses it with a 403 that says which.
func (a *Agent) joinAllowed(kit *httpkit.Kit, r *http.Request) error {
	aclErr := kit.Authorize(r, acl.Rule{Resource: acl.Operator, Access: acl.Write})
	if aclErr == nil {
		return nil
	}
	secret := strings.TrimSpace(r.Header.Get(operator.JoinTokenHeader))
	if secret == "" {
		return &httpkit.Error{Code: http.StatusForbidden, Cause: aclErr,
			Public: "store join refused: needs an ACL token with operator:write or a join token (-join-token; create one with `orbit operator join-token create`): " + httpkit.Public(aclErr, http.StatusForbidden)}
	}
	_, err := a.store.CheckJoinToken(r.Context(), secret, a.clock.Now())
	if errors.Is(err, store.ErrJoinTokenInvalid) {
		return &httpkit.Error{Code: http.StatusForbidden, Cause: err,
			Public: "store join refused: " + err.Error() + " (create one with `orbit operator join-token create`)"}
	}
	return err
}

// httpJoiner joins the store's cluster through the first server in addrs
// (their API addresses) that answers. Unreachable or busy servers are
// reported as store.ErrUnsettled so the store keeps retrying, as Consul's
// retry-join does; a refusal (bad token, bad request) ends the join.
type httpJoiner struct {
	addrs     []string
	token     string // the agent's token, for the servers' operator:write
	joinToken string // a join token's secret, instead of operator:write
	client    *http.Client
	tls       tlsSettings // the scheme of the servers' API
	// sealKey is the seal key the accepting server handed over.
	sealKey *store.SealKey
}

var _ store.Joiner = (*httpJoiner)(nil)

func newHTTPJoiner(retryJoin, self, token, joinToken string, ts tlsSettings) (*httpJoiner, error) {
	client, err := ts.httpClient(10 * time.Second)
	if err != nil {
		return nil, err
	}
	j := &httpJoiner{token: token, joinToken: joinToken, client: client, tls: ts}
	for _, addr := range strings.Split(retryJoin, ",") {
		if addr = strings.TrimSpace(addr); addr != "" && addr != self {
			j.addrs = append(j.addrs, addr)
		}
	}
	return j, nil
}

// errRetry marks an answer worth asking again.
type errRetry struct{ error }

func (j *httpJoiner) AddLearner(ctx context.Context, name, peerURL string) ([]store.Member, error) {
	var errs []error
	for _, addr := range j.addrs {
		ms, err := j.ask(ctx, addr, name, peerURL)
		if err == nil {
			return ms, nil
		}
		var retry errRetry
		if !errors.As(err, &retry) {
			return nil, err
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("-retry-join %s: %w: %w", strings.Join(j.addrs, ","), store.ErrUnsettled, errors.Join(errs...))
}

func (j *httpJoiner) ask(ctx context.Context, addr, name, peerURL string) ([]store.Member, error) {
	base := j.tls.baseURL(addr)
	body, _ := json.Marshal(storeJoinRequest{Name: name, PeerURL: peerURL})
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, base+storeJoinPath, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("join through %s: %w", addr, err)
	}
	if j.token != "" {
		req.Header.Set("X-Consul-Token", j.token)
	}
	if j.joinToken != "" {
		req.Header.Set(operator.JoinTokenHeader, j.joinToken)
	}
	resp, err := j.client.Do(req)
	if err != nil {
		return nil, errRetry{fmt.Errorf("join through %s: %w", addr, err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		err := fmt.Errorf("join through %s: %s: %s", addr, resp.Status, strings.TrimSpace(string(msg)))
		if resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusNotFound {
			// 404: the server there has not mounted the join yet (starting).
			return nil, errRetry{err}
		}
		return nil, err
	}
	var out storeJoinResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("join through %s: read answer: %w", addr, err)
	}
	if out.SealKey != "" {
		k, err := store.ParseSealKey(out.SealKey)
		if err != nil {
			return nil, fmt.Errorf("join through %s: %w", addr, err)
		}
		j.sealKey = k
	}
	return out.Members, nil
}
