package agent

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/orbit/orbit/internal/acme"
	"github.com/orbit/orbit/internal/proxy"
)

// acmeBridge hands the proxy the ACME engine, which is made after the
// proxy has bound its entry points (the engine needs their ports). Until
// it is set, and without resolvers, it has no certificates and answers
// no challenge.
type acmeBridge struct {
	m atomic.Pointer[acme.Manager]
}

var (
	_ proxy.CertResolver     = (*acmeBridge)(nil)
	_ proxy.ChallengeHandler = (*acmeBridge)(nil)
	_ proxy.CertLister       = (*acmeBridge)(nil)
)

func (b *acmeBridge) Certificate(resolver string, hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if m := b.m.Load(); m != nil {
		return m.Certificate(resolver, hello)
	}
	return nil, nil
}

func (b *acmeBridge) HandleHTTPChallenge(w http.ResponseWriter, r *http.Request) bool {
	m := b.m.Load()
	return m != nil && m.HandleHTTPChallenge(w, r)
}

func (b *acmeBridge) Certificates() []proxy.CertInfo {
	m := b.m.Load()
	if m == nil {
		return nil
	}
	var out []proxy.CertInfo
	for _, st := range m.Certificates() {
		out = append(out, proxy.CertInfo{Resolver: st.Resolver, Name: st.Name, Names: st.Names, Issuer: st.Issuer,
			Serial: st.Serial, NotAfter: st.NotAfter, Obtaining: st.Obtaining, LastError: st.LastError, LastErrorAt: st.LastErrorAt})
	}
	return out
}

// acmeResolvers reads the edge_config's certificate_resolver blocks
// (ca_root files included).
func acmeResolvers(ec *EdgeConfig) ([]acme.Resolver, error) {
	if ec == nil {
		return nil, nil
	}
	var out []acme.Resolver
	for _, rc := range ec.Resolvers {
		if rc.ACME == nil {
			return nil, fmt.Errorf("certificate_resolver %q: needs an acme block", rc.Name)
		}
		r := acme.Resolver{Name: rc.Name, Email: rc.ACME.Email, CAServer: rc.ACME.CAServer,
			Challenge: rc.ACME.Challenge, KeyType: rc.ACME.KeyType}
		if rc.ACME.CARoot != "" {
			b, err := os.ReadFile(rc.ACME.CARoot)
			if err != nil {
				return nil, fmt.Errorf("certificate_resolver %q: ca_root: %w", rc.Name, err)
			}
			r.CARoot = b
		}
		out = append(out, r)
	}
	return out, nil
}

// edgeEntryPoints are the entry points with their edge_config entrypoint
// blocks applied; "websecure" and "https" terminate TLS.
func edgeEntryPoints(addrs map[string]string, ec *EdgeConfig) ([]proxy.EntryPoint, error) {
	eps := make([]proxy.EntryPoint, 0, len(addrs))
	for name, addr := range addrs {
		eps = append(eps, proxy.EntryPoint{Name: name, Addr: addr, TLS: name == "websecure" || name == "https"})
	}
	if ec == nil {
		return eps, nil
	}
	for _, c := range ec.EntryPoints {
		i := -1
		for j := range eps {
			if eps[j].Name == c.Name {
				i = j
			}
		}
		if i < 0 {
			return nil, fmt.Errorf("edge_config entrypoint %q: no such entry point", c.Name)
		}
		eps[i].RedirectTo = c.RedirectTo
		if c.HSTS != "" {
			d, err := time.ParseDuration(c.HSTS)
			if err != nil || d <= 0 {
				return nil, fmt.Errorf("edge_config entrypoint %q: hsts %q: want a duration such as \"8760h\"", c.Name, c.HSTS)
			}
			eps[i].HSTS = d
		}
	}
	return eps, nil
}

// challengeAddrs are the bound addresses the CA validates on: the first
// plain entry point (web preferred) for HTTP-01, the first TLS one
// (websecure preferred) for TLS-ALPN-01.
func challengeAddrs(eps []proxy.EntryPoint, bound map[string]net.Addr) (httpAddr, tlsAddr string) {
	pick := func(tlsEP bool, preferred string) string {
		var found string
		for _, ep := range eps {
			if ep.TLS != tlsEP || bound[ep.Name] == nil {
				continue
			}
			if ep.Name == preferred || found == "" {
				found = bound[ep.Name].String()
			}
		}
		return found
	}
	return pick(false, "web"), pick(true, "websecure")
}

// dialable turns a bound address into one this host can dial: an
// unspecified IP becomes loopback.
func dialable(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
