package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/orbit/orbit/internal/alert"
)

// Notifier sends alert notices to the configured webhooks.
type Notifier struct {
	cfg   Config
	queue chan alert.Event
}

// New checks cfg (every hook's URL and format) and returns a notifier.
func New(cfg Config) (*Notifier, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	return &Notifier{cfg: cfg, queue: make(chan alert.Event, cfg.QueueSize)}, nil
}

// Notify queues events for Run to send; it never blocks: an event that
// finds the queue full is dropped and logged.
func (n *Notifier) Notify(events ...alert.Event) {
	for _, ev := range events {
		select {
		case n.queue <- ev:
		default:
			n.cfg.Logger.Warn("alert notice dropped: queue full", "alert", ev.Key.ID(), "node", ev.Key.Node, "kind", ev.Kind)
		}
	}
}

// Run sends queued events to every hook, in order, until ctx ends. It
// starts no goroutine.
func (n *Notifier) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-n.queue:
			var errs []error
			for _, h := range n.cfg.Hooks {
				if err := n.Send(ctx, h, ev); err != nil {
					n.cfg.Logger.Error("alert notice not delivered", "webhook", h.Name, "alert", ev.Key.ID(), "node", ev.Key.Node, "kind", ev.Kind, "err", err)
					errs = append(errs, err)
				}
			}
			if n.cfg.Recorder != nil && ev.UniqueID != 0 && len(n.cfg.Hooks) > 0 {
				n.cfg.Recorder.Delivered(ev.UniqueID, n.cfg.Clock.Now(), errors.Join(errs...))
			}
		}
	}
}

// permanent marks an answer that retrying will not change.
type permanent struct{ error }

// Send POSTs ev to h, retrying a failed connection, a 5xx or a 429 up to
// Attempts times with doubling backoff. Other 4xx answers are not retried.
func (n *Notifier) Send(ctx context.Context, h Hook, ev alert.Event) error {
	target, body, err := request(h, ev, n.cfg.Host)
	if err != nil {
		return err
	}
	wait := n.cfg.Backoff
	for attempt := 1; ; attempt++ {
		err = n.post(ctx, target, body)
		var perm permanent
		if err == nil || errors.As(err, &perm) || attempt == n.cfg.Attempts {
			if err != nil {
				return fmt.Errorf("webhook %q: attempt %d: %w", h.Name, attempt, err)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("webhook %q: attempt %d: %w (then %w)", h.Name, attempt, err, ctx.Err())
		case <-n.cfg.Clock.After(wait):
		}
		wait = min(2*wait, n.cfg.MaxBackoff)
	}
}

func (n *Notifier) post(ctx context.Context, target string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return permanent{err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "orbit-alerts")
	resp, err := n.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch {
	case resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("POST %s: %s: %s", target, resp.Status, bytes.TrimSpace(msg))
	default:
		return permanent{fmt.Errorf("POST %s: %s: %s", target, resp.Status, bytes.TrimSpace(msg))}
	}
}
