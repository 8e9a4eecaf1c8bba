package tsdb

import (
	"fmt"
	"time"
)

// Config sizes the tiers. The zero value keeps Netdata-like defaults.
type Config struct {
	// Seconds is how long per-second samples are kept (default 1h).
	Seconds time.Duration
	// Minutes is how long per-minute aggregates are kept (default 24h).
	Minutes time.Duration
	// Hours is how long per-hour aggregates are kept (default 30 days).
	Hours time.Duration
	// ChunkSamples is the number of samples per compressed chunk (default
	// 256): the unit in which per-second samples are dropped.
	ChunkSamples int
}

// Defaults fills zero fields.
func (c *Config) Defaults() {
	if c.Seconds == 0 {
		c.Seconds = time.Hour
	}
	if c.Minutes == 0 {
		c.Minutes = 24 * time.Hour
	}
	if c.Hours == 0 {
		c.Hours = 30 * 24 * time.Hour
	}
	if c.ChunkSamples == 0 {
		c.ChunkSamples = 256
	}
}

// Validate reports a configuration the store cannot honour.
func (c Config) Validate() error {
	switch {
	case c.Seconds < time.Minute || c.Seconds > 7*24*time.Hour:
		return fmt.Errorf("seconds retention %s: want between 1m and 168h", c.Seconds)
	case c.Minutes < time.Hour || c.Minutes > 90*24*time.Hour:
		return fmt.Errorf("minutes retention %s: want between 1h and 2160h", c.Minutes)
	case c.Hours < 24*time.Hour || c.Hours > 5*366*24*time.Hour:
		return fmt.Errorf("hours retention %s: want between 24h and 5 years", c.Hours)
	case c.ChunkSamples < 16 || c.ChunkSamples > 4096:
		return fmt.Errorf("chunk samples %d: want between 16 and 4096", c.ChunkSamples)
	}
	return nil
}
