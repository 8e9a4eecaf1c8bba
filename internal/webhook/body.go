package webhook

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/alert"
)

// Message is orbit's own body (format json).
type Message struct {
	Kind     alert.Kind `json:"kind"` // critical, repeat, resolved
	Status   string     `json:"status"`
	Alert    string     `json:"alert"`
	Chart    string     `json:"chart"`
	Node     string     `json:"node,omitempty"`
	Host     string     `json:"host,omitempty"`
	Summary  string     `json:"summary"`
	Info     string     `json:"info"`
	Value    float64    `json:"value"`
	Units    string     `json:"units"`
	When     time.Time  `json:"when"`
	Since    time.Time  `json:"since"`
	UniqueID uint32     `json:"unique_id,omitempty"`
}

func message(ev alert.Event, host string) Message {
	status := string(alert.StatusCritical)
	if ev.Kind == alert.KindResolved {
		status = string(alert.StatusClear)
	}
	return Message{Kind: ev.Kind, Status: status, Alert: ev.Key.Name, Chart: ev.Key.Chart, Node: ev.Key.Node, Host: host,
		Summary: ev.Summary, Info: ev.Info, Value: ev.Value, Units: ev.Units, When: ev.When.UTC(), Since: ev.Since.UTC(), UniqueID: ev.UniqueID}
}

// title is the one line a chat shows first.
func title(ev alert.Event) string {
	prefix := map[alert.Kind]string{alert.KindCritical: "CRITICAL", alert.KindRepeat: "STILL CRITICAL", alert.KindResolved: "RESOLVED"}[ev.Kind]
	where := ev.Key.Node
	if where == "" {
		where = "cluster"
	}
	return fmt.Sprintf("%s: %s on %s", prefix, ev.Key.Name, where)
}

func text(ev alert.Event) string {
	s := ev.Summary
	if ev.Kind == alert.KindResolved {
		s += fmt.Sprintf(" (was critical for %s)", ev.When.Sub(ev.Since).Round(time.Second))
	} else if ev.Kind == alert.KindRepeat {
		s += fmt.Sprintf(" (critical for %s)", ev.When.Sub(ev.Since).Round(time.Second))
	}
	return s
}

// request returns where to POST ev for h and the body.
func request(h Hook, ev alert.Event, host string) (string, []byte, error) {
	var v any
	target := h.URL
	critical := ev.Kind != alert.KindResolved
	switch h.Format {
	case FormatNtfy:
		u, _ := url.Parse(h.URL) // validated
		t := topic(u)
		u.Path = strings.TrimSuffix(u.Path, t)
		u.RawPath = ""
		target = u.String()
		prio, tag := 5, "rotating_light"
		if !critical {
			prio, tag = 3, "white_check_mark"
		}
		v = map[string]any{"topic": t, "title": title(ev), "message": text(ev), "priority": prio, "tags": []string{tag}}
	case FormatSlack:
		color := "danger"
		if !critical {
			color = "good"
		}
		v = map[string]any{"text": title(ev), "attachments": []map[string]any{{
			"color": color, "title": title(ev), "text": text(ev), "ts": ev.When.Unix(),
			"fields": []map[string]any{{"title": "Value", "value": fmt.Sprintf("%g %s", ev.Value, ev.Units), "short": true}, {"title": "Chart", "value": ev.Key.Chart, "short": true}},
		}}}
	case FormatDiscord:
		color := 0xE74C3C
		if !critical {
			color = 0x2ECC71
		}
		v = map[string]any{"content": title(ev), "embeds": []map[string]any{{
			"title": title(ev), "description": text(ev), "color": color, "timestamp": ev.When.UTC().Format(time.RFC3339),
		}}}
	default:
		v = message(ev, host)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", nil, fmt.Errorf("encode %s body: %w", h.Format, err)
	}
	return target, b, nil
}

// topic is an ntfy URL's last path segment.
func topic(u *url.URL) string {
	p := strings.TrimSuffix(u.Path, "/")
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[i+1:]
	}
	return ""
}
