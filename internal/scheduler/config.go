package scheduler

import (
	"errors"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
)

// Config configures the scheduler server. The zero value works.
type Config struct {
	// NodeName is this server's name, the value it campaigns with.
	NodeName string
	// Election is the etcd election the servers' schedulers run under;
	// "" means "scheduler".
	Election string
	// GCThreshold is how long terminal allocations, evaluations and
	// deployments are kept; 0 means one hour.
	GCThreshold time.Duration
	// GCInterval is how often garbage is collected; 0 means five minutes.
	GCInterval time.Duration
	// Tick bounds how long the loop sleeps without a change (for delayed
	// evaluations and deployment deadlines); 0 means one second.
	Tick time.Duration
	// Clock drives delays and deadlines; nil is the wall clock.
	Clock clockwork.Clock
	// Logger receives the scheduler's logs; nil discards them.
	Logger *slog.Logger
	// Registerer receives the scheduler's metrics; nil registers none.
	Registerer prometheus.Registerer
	// NewID makes allocation, evaluation and deployment IDs; nil makes
	// random UUIDs.
	NewID func() string
	// Anomalies tells how anomalous allocations' metrics are, for
	// deployments with an anomaly gate; nil leaves every gate open.
	Anomalies Anomalies
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.GCThreshold < 0 || c.GCInterval < 0 || c.Tick < 0 {
		return errors.New("scheduler: durations must not be negative")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Election == "" {
		c.Election = "scheduler"
	}
	if c.GCThreshold == 0 {
		c.GCThreshold = time.Hour
	}
	if c.GCInterval == 0 {
		c.GCInterval = 5 * time.Minute
	}
	if c.Tick == 0 {
		c.Tick = time.Second
	}
	if c.Clock == nil {
		c.Clock = clockwork.NewRealClock()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
