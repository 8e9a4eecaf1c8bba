package routefeed

import (
	"fmt"
	"time"

	"github.com/orbit/orbit/internal/routing"
)

// Config is the feeder's configuration. Zero values select the documented
// defaults.
type Config struct {
	// Routing is how tags become routers (entry points, exposed by
	// default, default rule, whether warning instances are backends).
	Routing routing.Config
	// FlapDamping keeps an instance that was passing as a backend until it
	// has been unhealthy this long, so one failed probe does not empty a
	// pool. Deregistration, node liveness loss and maintenance remove it
	// at once. 0 means 2s; a negative value disables damping.
	FlapDamping time.Duration
}

// DefaultFlapDamping is FlapDamping's zero-value default.
const DefaultFlapDamping = 2 * time.Second

func (c *Config) setDefaults() {
	if c.FlapDamping == 0 {
		c.FlapDamping = DefaultFlapDamping
	}
}

// Validate reports configuration errors.
func (c Config) Validate() error {
	if err := c.Routing.Validate(); err != nil {
		return fmt.Errorf("route feeder config: %w", err)
	}
	return nil
}
