package alert

import (
	"fmt"
	"time"
)

// Defaults of the built-in rules. Critical only: each is a level at which
// someone should act now.
const (
	DefaultDiskUsedPercent        = 90.0
	DefaultInodesUsedPercent      = 90.0
	DefaultMemoryAvailablePercent = 5.0  // critical below
	DefaultMemoryPressurePercent  = 10.0 // PSI memory "full" avg60, critical at or above
	DefaultCheckCriticalFor       = 5 * time.Minute
	DefaultRestartLoopCount       = 3
	DefaultRestartLoopWindow      = 10 * time.Minute
	DefaultOOMWindow              = 10 * time.Minute
	DefaultCertificateWithin      = 7 * 24 * time.Hour
	DefaultEtcdQuotaPercent       = 90.0
	DefaultAnomalyRatePercent     = 10.0
	DefaultAnomalyFor             = 5 * time.Minute
	DefaultRepeatEvery            = time.Hour
	DefaultLogSize                = 1000 // Netdata's in memory max health log entries
	DefaultEvery                  = 10 * time.Second
)

// Config sets the rules' thresholds and the notices' repetition. The zero
// value of every field is its default (WithDefaults).
type Config struct {
	// DiskUsedPercent and InodesUsedPercent: a filesystem's space or
	// inodes used at or above this is critical; 0 means 90.
	DiskUsedPercent   float64
	InodesUsedPercent float64
	// MemoryAvailablePercent: a node with less memory available than this
	// share is critical; 0 means 5.
	MemoryAvailablePercent float64
	// MemoryPressurePercent: a node whose tasks all stalled on memory this
	// share of the last minute (PSI full avg60) is critical; 0 means 10.
	MemoryPressurePercent float64
	// CheckCriticalFor is how long a check stays critical before it is
	// notified; 0 means 5m.
	CheckCriticalFor time.Duration
	// RestartLoopCount restarts within RestartLoopWindow make a restart
	// loop; 0 means 3 within 10m.
	RestartLoopCount  int
	RestartLoopWindow time.Duration
	// OOMWindow is how long an OOM kill stays critical; 0 means 10m.
	OOMWindow time.Duration
	// CertificateWithin: a certificate expiring sooner is critical; 0
	// means 7 days.
	CertificateWithin time.Duration
	// EtcdQuotaPercent: a store database this full of its quota is
	// critical; 0 means 90.
	EtcdQuotaPercent float64
	// AnomalyRatePercent held for AnomalyFor makes a node's anomaly rate
	// critical; 0 means 10 % for 5m.
	AnomalyRatePercent float64
	AnomalyFor         time.Duration
	// RepeatEvery repeats a critical notice while it lasts; 0 means 1h,
	// negative never repeats.
	RepeatEvery time.Duration
	// LogSize bounds the alert log kept in memory; 0 means 1000.
	LogSize int
	// Every is how often the agent evaluates (Netdata's update_every of an
	// alarm); 0 means 10s.
	Every time.Duration
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	f := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	t := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	f(&c.DiskUsedPercent, DefaultDiskUsedPercent)
	f(&c.InodesUsedPercent, DefaultInodesUsedPercent)
	f(&c.MemoryAvailablePercent, DefaultMemoryAvailablePercent)
	f(&c.MemoryPressurePercent, DefaultMemoryPressurePercent)
	f(&c.EtcdQuotaPercent, DefaultEtcdQuotaPercent)
	f(&c.AnomalyRatePercent, DefaultAnomalyRatePercent)
	t(&c.CheckCriticalFor, DefaultCheckCriticalFor)
	t(&c.RestartLoopWindow, DefaultRestartLoopWindow)
	t(&c.OOMWindow, DefaultOOMWindow)
	t(&c.CertificateWithin, DefaultCertificateWithin)
	t(&c.AnomalyFor, DefaultAnomalyFor)
	t(&c.RepeatEvery, DefaultRepeatEvery)
	t(&c.Every, DefaultEvery)
	if c.RestartLoopCount == 0 {
		c.RestartLoopCount = DefaultRestartLoopCount
	}
	if c.LogSize == 0 {
		c.LogSize = DefaultLogSize
	}
	return c
}

// Validate reports the first setting that cannot work. It expects defaults
// filled in.
func (c Config) Validate() error {
	for _, p := range []struct {
		name string
		v    float64
	}{
		{"disk used percent", c.DiskUsedPercent}, {"inodes used percent", c.InodesUsedPercent},
		{"memory available percent", c.MemoryAvailablePercent}, {"memory pressure percent", c.MemoryPressurePercent},
		{"etcd quota percent", c.EtcdQuotaPercent}, {"anomaly rate percent", c.AnomalyRatePercent},
	} {
		if !(p.v > 0 && p.v <= 100) {
			return fmt.Errorf("alert %s %g: want a percentage in (0, 100]", p.name, p.v)
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"check critical for", c.CheckCriticalFor}, {"restart loop window", c.RestartLoopWindow},
		{"oom window", c.OOMWindow}, {"certificate within", c.CertificateWithin}, {"anomaly for", c.AnomalyFor},
	} {
		if d.v < 0 {
			return fmt.Errorf("alert %s %s: want no negative duration", d.name, d.v)
		}
	}
	if c.RestartLoopCount < 1 {
		return fmt.Errorf("alert restart loop count %d: want at least 1", c.RestartLoopCount)
	}
	if c.LogSize < 1 {
		return fmt.Errorf("alert log size %d: want at least 1", c.LogSize)
	}
	return nil
}
