package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/operator"
	"github.com/orbit/orbit/internal/pki"
)

// nodeCertPath is where a client agent asks the servers to sign its node
// certificate. It is orbit's own (Consul's agents get theirs with
// auto_encrypt); the handler asks node:write on the node, or
// operator:write.
const nodeCertPath = "/v1/orbit/pki/node-cert"

// nodeCertRequest is the body of PUT nodeCertPath.
type nodeCertRequest struct {
	Node string // the asking node's name, the certificate's common name
	CSR  string // a PEM certificate request for the node's own key
}

// nodeCertResponse is the signed chain: the node certificate, then the
// root.
type nodeCertResponse struct {
	CertChain string
}

// nodeCertHandler signs a node's certificate request with the internal CA.
// The token must grant node:write on the node (an agent token), or
// operator:write.
func (a *Agent) nodeCertHandler() http.Handler {
	kit := httpkit.New(a.log.With("component", "node-cert"), a.auth, a.clock)
	return kit.Handle(func(w http.ResponseWriter, r *http.Request) error {
		if r.Method != http.MethodPut && r.Method != http.MethodPost {
			return httpkit.Errorf(http.StatusMethodNotAllowed, "%s %s: use PUT", r.Method, r.URL.Path)
		}
		var req nodeCertRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
			return httpkit.BadRequest("node certificate body: %v", err)
		}
		if req.Node == "" || req.CSR == "" {
			return httpkit.BadRequest("node certificate: Node and CSR are required")
		}
		if err := a.authorizeNodeCert(r, req.Node); err != nil {
			return err
		}
		chain, err := a.ca.SignNode([]byte(req.CSR), req.Node)
		if errors.Is(err, pki.ErrInvalidCSR) {
			return httpkit.BadRequest("node certificate: %v", err)
		}
		if err != nil {
			return fmt.Errorf("node certificate for %q: %w", req.Node, err)
		}
		return httpkit.WriteJSON(w, r, http.StatusOK, nodeCertResponse{CertChain: string(chain)})
	})
}

// authorizeNodeCert lets a token with node:write on node, or
// operator:write, or a valid join token (the one a joining agent
// presents, -join-token) have node's certificate signed.
func (a *Agent) authorizeNodeCert(r *http.Request, node string) error {
	kit := httpkit.New(a.log, a.auth, a.clock)
	err := kit.Authorize(r, acl.Rule{Resource: acl.Node, Segment: node, Access: acl.Write})
	if err == nil {
		return nil
	}
	if r.Header.Get(operator.JoinTokenHeader) != "" {
		return a.joinAllowed(kit, r)
	}
	if kit.Authorize(r, acl.Rule{Resource: acl.Operator, Access: acl.Write}) == nil {
		return nil
	}
	return err
}

// startNodeCert gets this node's certificate: a server signs its own with
// the CA, a client agent asks its servers. Run's workers renew it.
func (a *Agent) startNodeCert(ctx context.Context, servers string) error {
	var signer pki.NodeSigner
	switch {
	case a.cfg.Server && a.ca != nil:
		signer = a.ca.LocalSigner(a.cfg.NodeName)
	case servers != "":
		client, err := a.cfg.tls.httpClient(10 * time.Second)
		if err != nil {
			return err
		}
		signer = &httpNodeSigner{servers: servers, node: a.cfg.NodeName, token: a.cfg.agentToken(), joinToken: a.cfg.JoinToken,
			client: client, tls: a.cfg.tls}
	default:
		return nil // an agent on an external store without servers to ask
	}
	var ips []net.IP
	if ip := net.ParseIP(a.cfg.BindAddr); ip != nil && !ip.IsUnspecified() {
		ips = append(ips, ip)
	}
	nc, err := pki.NewNodeCert(ctx, pki.NodeCertConfig{Dir: a.dataDir, Node: a.cfg.NodeName, IPs: ips, Clock: a.clock,
		Logger: a.log.With("component", "node-cert")}, signer)
	if err != nil {
		return fmt.Errorf("node certificate: %w (the agent token needs node:write on %q)", err, a.cfg.NodeName)
	}
	a.nodeCert = nc
	return nil
}

// NodeCert is this agent's node certificate (nil on an agent with neither
// the server role nor -servers; valid after Started).
func (a *Agent) NodeCert() *pki.NodeCert { return a.nodeCert }

// httpNodeSigner has the servers' API sign the node's requests, asking
// each server in turn until one answers.
type httpNodeSigner struct {
	servers string
	node    string
	token   string
	// joinToken is a join token's secret, sent besides the token.
	joinToken string
	client    *http.Client
	tls       tlsSettings // the scheme of the servers' API
}

var _ pki.NodeSigner = (*httpNodeSigner)(nil)

func (s *httpNodeSigner) SignNode(ctx context.Context, csrPEM []byte) ([]byte, error) {
	body, _ := json.Marshal(nodeCertRequest{Node: s.node, CSR: string(csrPEM)})
	var errs []error
	for _, addr := range strings.Split(s.servers, ",") {
		if addr = strings.TrimSpace(addr); addr == "" {
			continue
		}
		addr = s.tls.baseURL(addr)
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, addr+nodeCertPath, bytes.NewReader(body))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if s.token != "" {
			req.Header.Set("X-Consul-Token", s.token)
		}
		if s.joinToken != "" {
			req.Header.Set(operator.JoinTokenHeader, s.joinToken)
		}
		resp, err := s.client.Do(req)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			errs = append(errs, fmt.Errorf("%s: %s: %s", addr, resp.Status, strings.TrimSpace(string(msg))))
			if resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusBadRequest {
				break // every server answers the same
			}
			continue
		}
		var out nodeCertResponse
		if err := json.Unmarshal(msg, &out); err != nil || out.CertChain == "" {
			errs = append(errs, fmt.Errorf("%s: no certificate in the answer", addr))
			continue
		}
		return []byte(out.CertChain), nil
	}
	return nil, fmt.Errorf("sign through servers %s: %w", s.servers, errors.Join(errs...))
}
