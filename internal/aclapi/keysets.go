package aclapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/acllogin"
)

// jwksMaxAge is how long a fetched JWKS is used before it is fetched
// again; a token naming a key the cached set lacks refetches sooner (at
// most every jwksMinAge), so a rotated key is found at once.
const (
	jwksMaxAge = 5 * time.Minute
	jwksMinAge = 5 * time.Second
)

// keySets fetches and caches auth methods' JWKS documents.
type keySets struct {
	client *http.Client
	clock  clockwork.Clock

	// mu guards sets.
	mu   sync.Mutex
	sets map[string]fetchedSet // method name →
}

type fetchedSet struct {
	url, ca string
	set     *jose.JSONWebKeySet
	at      time.Time
}

func newKeySets(client *http.Client, clock clockwork.Clock) *keySets {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &keySets{client: client, clock: clock, sets: map[string]fetchedSet{}}
}

// forget drops a method's cached set (its configuration changed).
func (k *keySets) forget(method string) {
	k.mu.Lock()
	delete(k.sets, method)
	k.mu.Unlock()
}

// get returns the JWKS of a method's JWKSURL; kid is the key the token
// names, refetched when the cached set lacks it.
func (k *keySets) get(ctx context.Context, method string, cfg *acllogin.JWTConfig, kid string) (*jose.JSONWebKeySet, error) {
	now := k.clock.Now()
	k.mu.Lock()
	c, ok := k.sets[method]
	k.mu.Unlock()
	fresh := ok && c.url == cfg.JWKSURL && c.ca == cfg.JWKSCACert && now.Sub(c.at) < jwksMaxAge
	if fresh && (kid == "" || len(c.set.Key(kid)) > 0 || now.Sub(c.at) < jwksMinAge) {
		return c.set, nil
	}
	set, err := k.fetch(ctx, cfg)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	k.sets[method] = fetchedSet{url: cfg.JWKSURL, ca: cfg.JWKSCACert, set: set, at: now}
	k.mu.Unlock()
	return set, nil
}

func (k *keySets) fetch(ctx context.Context, cfg *acllogin.JWTConfig) (*jose.JSONWebKeySet, error) {
	client := k.client
	if cfg.JWKSCACert != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(cfg.JWKSCACert)) {
			return nil, fmt.Errorf("JWKSCACert: no certificate found")
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		client = &http.Client{Timeout: k.client.Timeout, Transport: tr}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.JWKSURL, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS %s: %w", cfg.JWKSURL, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS %s: %w", cfg.JWKSURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS %s: %w", cfg.JWKSURL, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch JWKS %s: %s", cfg.JWKSURL, resp.Status)
	}
	return acllogin.KeySet(body)
}
