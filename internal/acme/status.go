package acme

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Status is one managed name's certificate as this node sees it.
type Status struct {
	Resolver string
	// Name is the name managed (one certificate per name).
	Name string
	// Names, Issuer (common name), Serial (hex), NotBefore and NotAfter
	// describe the certificate this node serves; empty before it has one.
	Names     []string
	Issuer    string
	Serial    string
	NotBefore time.Time
	NotAfter  time.Time
	// Obtaining is set while this node orders or renews it.
	Obtaining bool
	// LastError is the last failed order or renewal on this node, cleared
	// by a success.
	LastError   string
	LastErrorAt time.Time
}

func statusKey(resolver, name string) string { return resolver + "\x00" + name }

// touch records that name is managed.
func (m *Manager) touch(resolver, name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.status[statusKey(resolver, name)] == nil {
		m.status[statusKey(resolver, name)] = &Status{Resolver: resolver, Name: name}
	}
}

func (m *Manager) forget(resolver, name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.status, statusKey(resolver, name))
}

func (m *Manager) failed(resolver, name string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if st := m.status[statusKey(resolver, name)]; st != nil {
		st.Obtaining, st.LastError, st.LastErrorAt = false, err.Error(), m.clock.Now()
	}
}

// event follows certmagic's events into the status and the metrics.
func (m *Manager) event(resolver, event string, data map[string]any) {
	name, _ := data["identifier"].(string)
	renewal, _ := data["renewal"].(bool)
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.status[statusKey(resolver, name)]
	switch event {
	case "cert_obtaining":
		if st != nil {
			st.Obtaining = true
		}
	case "cert_obtained":
		m.metrics.orders.WithLabelValues(resolver, result(renewal, "ok")).Inc()
		m.log.Info("certificate obtained", "resolver", resolver, "name", name, "renewal", renewal)
		if st != nil {
			st.Obtaining, st.LastError, st.LastErrorAt = false, "", time.Time{}
		}
	case "cert_failed":
		m.metrics.orders.WithLabelValues(resolver, result(renewal, "error")).Inc()
		err := fmt.Sprint(data["error"])
		m.log.Warn("certificate order failed", "resolver", resolver, "name", name, "renewal", renewal, "err", err)
		if st != nil {
			st.Obtaining, st.LastError, st.LastErrorAt = false, err, m.clock.Now()
		}
	}
}

func result(renewal bool, outcome string) string {
	if renewal {
		return "renew_" + outcome
	}
	return "obtain_" + outcome
}

// Certificates lists the managed names with the certificates this node
// serves for them, by resolver and name.
func (m *Manager) Certificates() []Status {
	m.mu.Lock()
	out := make([]Status, 0, len(m.status))
	for _, st := range m.status {
		out = append(out, *st)
	}
	m.mu.Unlock()
	for i := range out {
		st := &out[i]
		r := m.resolvers[st.Resolver]
		if r == nil {
			continue
		}
		for _, c := range r.cache.AllMatchingCertificates(st.Name) {
			if c.Leaf == nil || c.Leaf.NotAfter.Before(st.NotAfter) {
				continue
			}
			st.Names = slices.Clone(c.Names)
			st.Issuer = c.Leaf.Issuer.CommonName
			st.Serial = strings.ToLower(c.Leaf.SerialNumber.Text(16))
			st.NotBefore, st.NotAfter = c.Leaf.NotBefore, c.Leaf.NotAfter
		}
	}
	slices.SortFunc(out, func(a, b Status) int {
		return strings.Compare(statusKey(a.Resolver, a.Name), statusKey(b.Resolver, b.Name))
	})
	return out
}
