package webhook

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/jonboulle/clockwork"
)

// Formats a webhook's body may take.
const (
	FormatJSON    = "json"    // orbit's own body (the default)
	FormatNtfy    = "ntfy"    // ntfy's JSON publish: the URL names the topic
	FormatSlack   = "slack"   // Slack incoming webhooks and compatible (Mattermost, Rocket.Chat)
	FormatDiscord = "discord" // Discord webhooks and compatible
)

// Defaults.
const (
	DefaultAttempts   = 5
	DefaultBackoff    = time.Second
	DefaultMaxBackoff = time.Minute
	DefaultTimeout    = 10 * time.Second
	DefaultQueueSize  = 256
)

// Hook is one webhook: `webhook "NAME" { url = "..." format = "..." }`.
type Hook struct {
	Name   string `hcl:"name,label"`
	URL    string `hcl:"url"`
	Format string `hcl:"format,optional"`
}

// Validate checks the URL and the format, naming the webhook.
func (h Hook) Validate() error {
	u, err := url.Parse(h.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("webhook %q: url %q: want an http or https URL", h.Name, h.URL)
	}
	switch h.Format {
	case "", FormatJSON, FormatSlack, FormatDiscord:
	case FormatNtfy:
		if topic(u) == "" {
			return fmt.Errorf("webhook %q: ntfy url %q: want the topic as its last path segment (https://ntfy.sh/TOPIC)", h.Name, h.URL)
		}
	default:
		return fmt.Errorf("webhook %q: format %q: want json, ntfy, slack or discord", h.Name, h.Format)
	}
	return nil
}

// Recorder learns whether each logged notice was delivered
// (*alert.Engine satisfies it).
type Recorder interface {
	Delivered(uniqueID uint32, when time.Time, err error)
}

// Config configures a Notifier. The zero value of every field but Hooks is
// a working default.
type Config struct {
	Hooks []Hook
	// Host names the sender in the bodies (the agent's node or cluster).
	Host string
	// Attempts is how many times a notice is tried per webhook; 0 means 5.
	Attempts int
	// Backoff is the first wait between attempts, doubled after each up to
	// MaxBackoff; 0 means 1s and 1m.
	Backoff, MaxBackoff time.Duration
	// Timeout bounds one attempt; 0 means 10s.
	Timeout time.Duration
	// QueueSize bounds notices waiting to be sent; 0 means 256. A notice
	// that finds the queue full is dropped and logged.
	QueueSize int
	// Clock drives the backoff; nil is the wall clock.
	Clock clockwork.Clock
	// Client sends the requests; nil is a client with Timeout.
	Client *http.Client
	// Logger receives delivery failures; nil discards them.
	Logger *slog.Logger
	// Recorder, when set, is told the outcome of each logged notice.
	Recorder Recorder
}

func (c *Config) defaults() error {
	if c.Attempts == 0 {
		c.Attempts = DefaultAttempts
	}
	if c.Backoff == 0 {
		c.Backoff = DefaultBackoff
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.QueueSize == 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.Clock == nil {
		c.Clock = clockwork.NewRealClock()
	}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: c.Timeout}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Attempts < 1 || c.Backoff < 0 || c.MaxBackoff < 0 || c.Timeout < 0 || c.QueueSize < 1 {
		return errors.New("webhook: attempts and queue size want at least 1, durations no negative value")
	}
	names := map[string]bool{}
	for _, h := range c.Hooks {
		if err := h.Validate(); err != nil {
			return err
		}
		if names[h.Name] {
			return fmt.Errorf("webhook %q: defined twice", h.Name)
		}
		names[h.Name] = true
	}
	return nil
}
