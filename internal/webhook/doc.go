// Package webhook delivers alert notices: it POSTs one JSON body per
// notice to each configured webhook, shaped for the endpoint (orbit's own
// JSON, ntfy, Slack-compatible or Discord-compatible), retrying with
// backoff on the clock it is given.
//
// It is not the alert logic (internal/alert decides what to send) and it
// keeps nothing beyond a bounded queue. The agent creates one Notifier,
// runs it (Run returns when its context ends) and hands it the alert
// engine's events.
package webhook
