package acme

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the engine's Prometheus collectors.
type metrics struct {
	orders *prometheus.CounterVec // resolver, result
}

// expiryCollector reports each served certificate's expiry at scrape
// time, from Certificates.
type expiryCollector struct {
	m    *Manager
	desc *prometheus.Desc
}

func (c expiryCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c expiryCollector) Collect(ch chan<- prometheus.Metric) {
	for _, st := range c.m.Certificates() {
		if st.NotAfter.IsZero() {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(st.NotAfter.Unix()), st.Resolver, st.Name)
	}
}

func newMetrics(reg prometheus.Registerer, m *Manager) (*metrics, error) {
	mt := &metrics{
		orders: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orbit_acme_orders_total",
			Help: "ACME orders run by this node, by resolver and result (obtain_ok, obtain_error, renew_ok, renew_error).",
		}, []string{"resolver", "result"}),
	}
	if reg == nil {
		return mt, nil
	}
	expiry := expiryCollector{m: m, desc: prometheus.NewDesc("orbit_acme_certificate_expiry_timestamp_seconds",
		"When the certificate this node serves for a managed name expires (Unix time).", []string{"resolver", "name"}, nil)}
	if err := reg.Register(mt.orders); err != nil {
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			return nil, fmt.Errorf("register acme metrics: %w", err)
		}
		mt.orders = are.ExistingCollector.(*prometheus.CounterVec)
	}
	if err := reg.Register(expiry); err != nil {
		return nil, fmt.Errorf("register acme metrics: %w", err)
	}
	return mt, nil
}
