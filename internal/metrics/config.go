package metrics

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/orbit/orbit/internal/anomaly"
	"github.com/orbit/orbit/internal/metrics/tsdb"
)

// Config is the metrics feature's configuration; the zero value collects
// every second from / with tsdb's default retention.
type Config struct {
	// Storage sizes the tiers (zero fields: 1h per second, 24h per minute,
	// 30 days per hour).
	Storage tsdb.Config
	// Root is where /proc and /sys are found (default "/"; tests point it
	// elsewhere).
	Root string
	// Interval is the collection period (default 1s).
	Interval time.Duration
	// Hostname names the node in the answers.
	Hostname string
	// Version is orbit's version, shown in /api/v1/info.
	Version string
	// ML tunes anomaly detection (zero fields: Netdata's defaults).
	ML anomaly.Config
	// Parent is the API address (host:port or URL) of the agent this one
	// streams its samples to; empty streams nowhere. Every agent takes
	// streams from children.
	Parent string
	// ParentToken is the token the stream carries (the agent's token).
	ParentToken string
}

// Validate fills defaults and reports a setting that cannot work.
func (c *Config) Validate() error {
	if c.Root == "" {
		c.Root = "/"
	}
	if c.Interval == 0 {
		c.Interval = time.Second
	}
	if c.Interval < 100*time.Millisecond || c.Interval > time.Minute {
		return fmt.Errorf("metrics interval %s: want between 100ms and 1m", c.Interval)
	}
	if c.ML.Step == 0 {
		c.ML.Step = c.Interval
	}
	c.ML = c.ML.WithDefaults()
	if err := c.ML.Validate(); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	c.Storage.Defaults()
	if err := c.Storage.Validate(); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

// Deps are what the feature is given.
type Deps struct {
	Logger *slog.Logger
	// Registry is the agent's one Prometheus registry: sampled into charts
	// every second, served on /metrics, and where this feature's own
	// metrics go.
	Registry *prometheus.Registry
	Clock    clockwork.Clock
	// Tasks lists the node's running tasks, whose cgroups are charted
	// (nil: none, an agent without the client role).
	Tasks TaskLister
	// Extra are more Prometheus families to chart and serve beside the
	// registry's, e.g. the embedded etcd's (see Prefixed); nil: none.
	Extra prometheus.Gatherer
}

// Prefixed keeps the families of g whose names start with prefix: etcd
// registers its metrics in client_golang's default registry, which also
// holds collectors the agent's registry has already.
func Prefixed(g prometheus.Gatherer, prefix string) prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		mfs, err := g.Gather()
		out := mfs[:0]
		for _, mf := range mfs {
			if strings.HasPrefix(mf.GetName(), prefix) {
				out = append(out, mf)
			}
		}
		return out, err
	})
}
