package agent

import "testing"

// TestMetricsParent: a client streams to its first server unless the
// metrics block names another parent or turns streaming off.
func TestMetricsParent(t *testing.T) {
	for _, c := range []struct {
		m       *MetricsConfig
		servers string
		want    string
	}{
		{nil, "", ""},
		{nil, "10.0.0.1:8500, 10.0.0.2:8500", "10.0.0.1:8500"},
		{&MetricsConfig{Parent: "p:8500"}, "10.0.0.1:8500", "p:8500"},
		{&MetricsConfig{Parent: "off"}, "10.0.0.1:8500", ""},
		{&MetricsConfig{}, "", ""},
	} {
		if got := c.m.parent(c.servers); got != c.want {
			t.Errorf("parent(%+v, %q) = %q, want %q", c.m, c.servers, got, c.want)
		}
	}
}
