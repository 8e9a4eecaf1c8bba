package aclresolve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/acl"
)

// Down policies, as Consul's acl.down_policy spells them: what a request
// gets when its token cannot be resolved because the store is unreachable.
const (
	DownAllow       = "allow"
	DownDeny        = "deny"
	DownExtendCache = "extend-cache" // the cached authorizer, however old; else deny
	DownAsyncCache  = "async-cache"  // as extend-cache (resolution is synchronous here)
)

// Config tunes the resolver. The zero value denies by default, extends the
// cache when the store is down and caches for 30s.
type Config struct {
	// Default is default_policy: what no rule decides; "" is deny.
	Default acl.Default
	// Down is down_policy; "" is extend-cache.
	Down string
	// TTL is token_ttl: how long a resolved token is used without asking
	// the store again (any ACL change ends it sooner); 0 is 30s.
	TTL time.Duration
	// DefaultToken is the secret used for requests that carry none
	// (tokens.default); "" uses the anonymous token.
	DefaultToken string
}

// Validate checks the configuration's values.
func (c Config) Validate() error {
	switch c.Default {
	case "", acl.DefaultAllow, acl.DefaultDeny:
	default:
		return fmt.Errorf("acl default_policy %q: want allow or deny", c.Default)
	}
	switch c.Down {
	case "", DownAllow, DownDeny, DownExtendCache, DownAsyncCache:
	default:
		return fmt.Errorf("acl down_policy %q: want allow, deny, extend-cache or async-cache", c.Down)
	}
	if c.TTL < 0 {
		return fmt.Errorf("acl token_ttl %s: must not be negative", c.TTL)
	}
	return nil
}

// Secrets finds the accessor of a token secret (the store's server-only
// secrets); Deps.IsNotFound tells a secret no token has from a failure.
type Secrets interface {
	ACLAccessorOf(ctx context.Context, secret string) (string, error)
}

// Deps are the resolver's collaborators.
type Deps struct {
	Tables  Tables
	Secrets Secrets
	// IsNotFound tells a secret no token has from a failed lookup (the
	// store's ErrNotFound), which down_policy answers.
	IsNotFound func(error) bool
	Logger     *slog.Logger
	Clock      clockwork.Clock
}

// maxCached bounds the cache; past it the cache starts over.
const maxCached = 4096

// Resolver resolves secrets to compiled authorizers with a cache.
type Resolver struct {
	cfg  Config
	deps Deps
	log  *slog.Logger

	// mu guards cache.
	mu    sync.Mutex
	cache map[string]entry // secret →
}

// entry is one resolved secret: valid while the ACL index is index and
// it is younger than the TTL.
type entry struct {
	c     *acl.Compiled
	token *acl.Token
	index uint64
	at    time.Time
}

var _ acl.Resolver = (*Resolver)(nil)

// New returns a resolver.
func New(cfg Config, deps Deps) (*Resolver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Default == "" {
		cfg.Default = acl.DefaultDeny
	}
	if cfg.Down == "" {
		cfg.Down = DownExtendCache
	}
	if cfg.TTL == 0 {
		cfg.TTL = 30 * time.Second
	}
	if deps.Tables == nil || deps.Secrets == nil || deps.IsNotFound == nil {
		return nil, errors.New("aclresolve: Tables, Secrets and IsNotFound are required")
	}
	if deps.Clock == nil {
		deps.Clock = clockwork.NewRealClock()
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Resolver{cfg: cfg, deps: deps, log: log, cache: map[string]entry{}}, nil
}

// Resolve returns the compiled authorizer of secret ("" is the default or
// anonymous token). A secret no live token has is acl.ErrNotFound.
func (r *Resolver) Resolve(ctx context.Context, secret string) (*acl.Compiled, error) {
	e, err := r.resolve(ctx, secret)
	if err != nil {
		return nil, err
	}
	return e.c, nil
}

// Token returns the token secret names (without its secret), for
// /v1/acl/token/self; "" is the default or anonymous token.
func (r *Resolver) Token(ctx context.Context, secret string) (*acl.Token, error) {
	e, err := r.resolve(ctx, secret)
	if err != nil {
		return nil, err
	}
	if e.token == nil {
		return nil, acl.ErrNotFound
	}
	return e.token, nil
}

func (r *Resolver) resolve(ctx context.Context, secret string) (entry, error) {
	if secret == "" {
		secret = r.cfg.DefaultToken
	}
	now := r.deps.Clock.Now()
	index := r.deps.Tables.ACLIndex()
	r.mu.Lock()
	cached, hit := r.cache[secret]
	r.mu.Unlock()
	if hit && cached.index == index && now.Sub(cached.at) < r.cfg.TTL && (cached.token == nil || !cached.token.Expired(now)) {
		return cached, nil
	}
	accessor := acl.AnonymousTokenID
	if secret != "" {
		var err error
		accessor, err = r.deps.Secrets.ACLAccessorOf(ctx, secret)
		switch {
		case err != nil && r.deps.IsNotFound(err):
			r.forget(secret)
			return entry{}, acl.ErrNotFound
		case err != nil:
			return r.down(cached, hit, err)
		}
	}
	tok, ok := r.deps.Tables.ACLToken(accessor)
	switch {
	case !ok && accessor == acl.AnonymousTokenID:
		tok = &acl.Token{AccessorID: acl.AnonymousTokenID, Description: "Anonymous Token"}
	case !ok || tok.Expired(now):
		r.forget(secret)
		return entry{}, acl.ErrNotFound
	}
	c, err := compileToken(tok, r.cfg.Default, r.deps.Tables)
	if err != nil {
		return entry{}, err
	}
	e := entry{c: c, token: tok, index: index, at: now}
	r.mu.Lock()
	if len(r.cache) >= maxCached {
		r.cache = map[string]entry{}
	}
	r.cache[secret] = e
	r.mu.Unlock()
	return e, nil
}

func (r *Resolver) forget(secret string) {
	r.mu.Lock()
	delete(r.cache, secret)
	r.mu.Unlock()
}

// down answers a secret that could not be looked up, as down_policy says.
func (r *Resolver) down(cached entry, hit bool, cause error) (entry, error) {
	r.log.Warn("cannot resolve ACL token; applying down_policy", "down_policy", r.cfg.Down, "err", cause)
	switch r.cfg.Down {
	case DownAllow:
		return entry{c: acl.CompileRules(acl.AnonymousTokenID, acl.DefaultAllow)}, nil
	case DownExtendCache, DownAsyncCache:
		if hit {
			return cached, nil
		}
	}
	return entry{c: acl.CompileRules(acl.AnonymousTokenID, acl.DefaultDeny)}, nil
}
