package health

import (
	"errors"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orbit/orbit/internal/catalog"
)

// Defaults, as Consul's where Consul has one.
const (
	// DefaultTimeout bounds an http, tcp or grpc run whose definition has
	// none; registrations already carry it (catalog.Registration.Build).
	DefaultTimeout = catalog.DefaultCheckTimeout
	// DefaultScriptTimeout bounds a script run whose definition has none.
	DefaultScriptTimeout = catalog.DefaultScriptTimeout
	// DefaultMinInterval is Consul's MinInterval: shorter intervals are raised.
	DefaultMinInterval = time.Second
	// DefaultOutputMaxSize is Consul's DefaultBufSize for captured output.
	DefaultOutputMaxSize = 4 * 1024
	// DefaultOutputUpdateInterval is Consul's check_update_interval: an
	// output-only change (same status) is written at most this often.
	DefaultOutputUpdateInterval = 5 * time.Minute
	// DefaultWorkers is the size of the pool that runs checks.
	DefaultWorkers = 256
	// UserAgent is sent by HTTP checks, as Consul does.
	UserAgent = "Consul Health Check"
)

// Config configures a Manager. The zero value of every field except Node is
// a working default.
type Config struct {
	// Node is this agent's node name; only its checks are run. Required.
	Node string
	// EnableScriptChecks allows checks with Args (off by default, as
	// Consul's enable_script_checks); when off they are not run.
	EnableScriptChecks bool
	// Workers bounds how many checks run at once; 0 means DefaultWorkers.
	Workers int
	// MinInterval raises shorter check intervals; 0 means DefaultMinInterval,
	// negative allows any interval (tests).
	MinInterval time.Duration
	// OutputMaxSize bounds captured output; 0 means DefaultOutputMaxSize.
	OutputMaxSize int
	// OutputUpdateInterval spaces output-only writes; 0 means
	// DefaultOutputUpdateInterval, negative writes every output change.
	OutputUpdateInterval time.Duration
	// Clock drives intervals, TTLs and deregistration; nil is the wall clock.
	Clock clockwork.Clock
	// Logger receives the manager's logs; nil discards them.
	Logger *slog.Logger
	// Registerer receives the manager's metrics; nil registers none.
	Registerer prometheus.Registerer
	// Seed seeds the jitter of first runs; 0 picks a random seed.
	Seed uint64
}

// Validate reports a config that cannot run.
func (c *Config) Validate() error {
	if c.Node == "" {
		return errors.New("health: node name is required")
	}
	if c.Workers < 0 {
		return errors.New("health: workers must not be negative")
	}
	if c.OutputMaxSize < 0 {
		return errors.New("health: output max size must not be negative")
	}
	return nil
}

// withDefaults returns c with zero fields replaced by their defaults.
func (c Config) withDefaults() Config {
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.MinInterval == 0 {
		c.MinInterval = DefaultMinInterval
	}
	if c.OutputMaxSize == 0 {
		c.OutputMaxSize = DefaultOutputMaxSize
	}
	if c.OutputUpdateInterval == 0 {
		c.OutputUpdateInterval = DefaultOutputUpdateInterval
	}
	if c.Clock == nil {
		c.Clock = clockwork.NewRealClock()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
