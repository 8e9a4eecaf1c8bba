package connectca

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
)

// Consul's defaults for the built-in provider.
const (
	defaultLeafTTL         = 72 * time.Hour
	defaultIntermediateTTL = 365 * 24 * time.Hour
	defaultRootTTL         = 10 * 365 * 24 * time.Hour
)

// caConfig is Consul's CAConfiguration, as answered and as stored
// (without the indexes, which are the stored key's revisions).
type caConfig struct {
	Provider                 string
	Config                   map[string]any
	State                    map[string]string
	ForceWithoutCrossSigning bool
	CreateIndex              uint64 `json:",omitempty"`
	ModifyIndex              uint64 `json:",omitempty"`
}

// durationKeys are the provider settings that are durations; they are
// stored in Go's duration syntax whatever form they came in.
var durationKeys = []string{"LeafCertTTL", "IntermediateCertTTL", "RootCertTTL"}

// current reads the stored configuration, or Consul's defaults when none
// was ever set (then with the root's indexes).
func (h *Handler) current(ctx context.Context) (*caConfig, error) {
	raw, create, mod, err := h.store.ConnectCAConfig(ctx)
	if err != nil {
		return nil, err
	}
	if raw == nil {
		idx, err := h.rootIndexes(ctx)
		if err != nil {
			return nil, err
		}
		return &caConfig{Provider: "consul", Config: map[string]any{
			"LeafCertTTL":         defaultLeafTTL.String(),
			"IntermediateCertTTL": defaultIntermediateTTL.String(),
			"RootCertTTL":         defaultRootTTL.String(),
			"PrivateKeyType":      "ec",
			"PrivateKeyBits":      256,
		}, CreateIndex: idx[0], ModifyIndex: idx[1]}, nil
	}
	var c caConfig
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("decode stored Connect CA configuration: %w", err)
	}
	c.CreateIndex, c.ModifyIndex = uint64(create), uint64(mod)
	return &c, nil
}

// leafTTL is the configured lifetime of service certificates.
func (h *Handler) leafTTL(ctx context.Context) (time.Duration, error) {
	c, err := h.current(ctx)
	if err != nil {
		return 0, err
	}
	d, err := duration(c.Config, "LeafCertTTL")
	if err != nil || d == 0 {
		return defaultLeafTTL, err
	}
	return d, nil
}

func (h *Handler) getConfig(w http.ResponseWriter, r *http.Request) error {
	if err := h.may(r, acl.Operator, "", acl.Read); err != nil {
		return err
	}
	c, err := h.current(r.Context())
	if err != nil {
		return err
	}
	return h.answer(w, r, c.ModifyIndex, c)
}

// putConfig validates and stores a new configuration. orbit's CA keeps
// its root: a configuration that would need a new one (another provider,
// a supplied key or certificate, another key type) is refused.
func (h *Handler) putConfig(w http.ResponseWriter, r *http.Request) error {
	if err := h.may(r, acl.Operator, "", acl.Write); err != nil {
		return err
	}
	var in caConfig
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := normalize(&in); err != nil {
		return err
	}
	raw, err := json.Marshal(caConfig{Provider: in.Provider, Config: in.Config, State: in.State,
		ForceWithoutCrossSigning: in.ForceWithoutCrossSigning})
	if err != nil {
		return fmt.Errorf("encode Connect CA configuration: %w", err)
	}
	if _, err := h.store.PutConnectCAConfig(r.Context(), raw); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// normalize checks a configuration as Consul's built-in provider does and
// writes its durations in one syntax.
func normalize(c *caConfig) error {
	if c.Provider != "consul" {
		return httpkit.BadRequest("CA provider %q is not supported: orbit's internal CA is the %q provider", c.Provider, "consul")
	}
	if c.Config == nil {
		c.Config = map[string]any{}
	}
	for _, k := range []string{"PrivateKey", "RootCert"} {
		if s, _ := c.Config[k].(string); strings.TrimSpace(s) != "" {
			return httpkit.BadRequest("%s: orbit keeps its own root and does not rotate to a supplied one", k)
		}
	}
	if t, ok := c.Config["PrivateKeyType"]; ok && t != "ec" {
		return httpkit.BadRequest("PrivateKeyType %v: orbit's CA key is \"ec\"", t)
	}
	if b, ok := c.Config["PrivateKeyBits"]; ok {
		if n, _ := b.(float64); n != 256 {
			return httpkit.BadRequest("PrivateKeyBits %v: orbit's CA key has 256 bits", b)
		}
	}
	ttl := map[string]time.Duration{}
	defaults := map[string]time.Duration{"LeafCertTTL": defaultLeafTTL, "IntermediateCertTTL": defaultIntermediateTTL, "RootCertTTL": defaultRootTTL}
	for _, k := range durationKeys {
		d, err := duration(c.Config, k)
		if err != nil {
			return err
		}
		if d == 0 {
			d = defaults[k]
		}
		ttl[k] = d
		c.Config[k] = d.String()
	}
	leaf, inter, root := ttl["LeafCertTTL"], ttl["IntermediateCertTTL"], ttl["RootCertTTL"]
	switch {
	case leaf < time.Hour || leaf > 365*24*time.Hour:
		return httpkit.BadRequest("LeafCertTTL %s: must be between 1h and 8760h", leaf)
	case inter < 3*leaf:
		return httpkit.BadRequest("IntermediateCertTTL %s: must be at least three times LeafCertTTL (%s)", inter, 3*leaf)
	case root < inter:
		return httpkit.BadRequest("RootCertTTL %s: must be at least IntermediateCertTTL (%s)", root, inter)
	}
	// Consul's built-in provider takes its state from "test_state", which
	// Consul's own API tests rely on.
	if ts, ok := c.Config["test_state"].(map[string]any); ok {
		c.State = map[string]string{}
		for k, v := range ts {
			c.State[k] = fmt.Sprint(v)
		}
	}
	return nil
}

// duration reads setting k: a duration string ("72h") or a number of
// nanoseconds (what consul/api sends for a time.Duration); 0 when absent.
func duration(cfg map[string]any, k string) (time.Duration, error) {
	switch v := cfg[k].(type) {
	case nil:
		return 0, nil
	case string:
		d, err := time.ParseDuration(v)
		if err != nil {
			return 0, httpkit.BadRequest("%s %q: want a duration such as \"72h\"", k, v)
		}
		return d, nil
	case float64:
		return time.Duration(v), nil
	default:
		return 0, httpkit.BadRequest("%s: want a duration, got %T", k, v)
	}
}
