package proxy

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"github.com/orbit/orbit/internal/routing"
)

// mwInstance is one configured middleware. Instances are reused across
// tables while the middleware's configuration is unchanged, so a rate
// limiter's counts and basicauth's verified-password cache survive
// catalog changes.
type mwInstance struct {
	wrap    func(next http.Handler) http.Handler
	limiter *rateLimiter // for the sweeper; nil unless ratelimit
}

// middlewareInstance returns the instance for m, from the last table when
// its configuration is the same, and records it in live.
func (s *Server) middlewareInstance(m *routing.Middleware, live map[string]*mwInstance) *mwInstance {
	key := m.Name + "\x00" + fmt.Sprintf("%#v", m.Config)
	if mi := live[key]; mi != nil {
		return mi
	}
	mi := s.up.mws[key]
	if mi == nil {
		mi = s.newMiddleware(m)
	}
	live[key] = mi
	return mi
}

func (s *Server) newMiddleware(m *routing.Middleware) *mwInstance {
	switch c := m.Config.(type) {
	case *routing.RedirectScheme:
		return &mwInstance{wrap: func(next http.Handler) http.Handler { return redirectScheme(c, next) }}
	case *routing.StripPrefix:
		return &mwInstance{wrap: func(next http.Handler) http.Handler { return stripPrefix(c, next) }}
	case *routing.AddPrefix:
		return &mwInstance{wrap: func(next http.Handler) http.Handler { return addPrefix(c, next) }}
	case *routing.Headers:
		return &mwInstance{wrap: func(next http.Handler) http.Handler { return headers(c, next) }}
	case *routing.BasicAuth:
		ba := &basicAuth{cfg: c}
		return &mwInstance{wrap: func(next http.Handler) http.Handler { return ba.handler(next) }}
	case *routing.IPAllowList:
		return &mwInstance{wrap: func(next http.Handler) http.Handler { return ipAllowList(c, next) }}
	case *routing.RateLimit:
		if c.Average == 0 {
			return &mwInstance{wrap: func(next http.Handler) http.Handler { return next }}
		}
		rl := s.newRateLimiter(c)
		return &mwInstance{wrap: func(next http.Handler) http.Handler { return rl.handler(next) }, limiter: rl}
	case *routing.Retry:
		return &mwInstance{wrap: func(next http.Handler) http.Handler { return retry(c, next) }}
	case *routing.Compress:
		cz := newCompressor(c)
		return &mwInstance{wrap: func(next http.Handler) http.Handler { return cz.handler(next) }}
	}
	name := m.Name
	return &mwInstance{wrap: func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "middleware "+name+" is not usable", http.StatusInternalServerError)
		})
	}}
}

// requestScheme is the scheme the client used to reach the proxy.
func requestScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// redirectScheme answers with a redirect to the same URL with another
// scheme (and port) unless the request already uses that scheme.
func redirectScheme(c *routing.RedirectScheme, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(requestScheme(r), c.Scheme) {
			next.ServeHTTP(w, r)
			return
		}
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		port := c.Port
		if (c.Scheme == "https" && port == "443") || (c.Scheme == "http" && port == "80") {
			port = ""
		}
		if port != "" {
			host += ":" + port
		}
		u := url.URL{Scheme: c.Scheme, Host: host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
		code := http.StatusFound
		switch {
		case c.Permanent && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			code = http.StatusMovedPermanently
		case c.Permanent:
			code = http.StatusPermanentRedirect
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			code = http.StatusTemporaryRedirect
		}
		http.Redirect(w, r, u.String(), code)
	})
}

// withPath returns a shallow copy of r with a new path.
func withPath(r *http.Request, path, rawPath string) *http.Request {
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	u.Path, u.RawPath = path, rawPath
	r2.URL = &u
	r2.RequestURI = u.RequestURI()
	return r2
}

// stripPrefix removes the first matching prefix and tells the backend in
// X-Forwarded-Prefix, as Traefik does.
func stripPrefix(c *routing.StripPrefix, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, p := range c.Prefixes {
			if !strings.HasPrefix(r.URL.Path, p) {
				continue
			}
			path := "/" + strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, p), "/")
			raw := ""
			if r.URL.RawPath != "" {
				raw = "/" + strings.TrimPrefix(strings.TrimPrefix(r.URL.RawPath, p), "/")
			}
			r.Header.Set("X-Forwarded-Prefix", p)
			next.ServeHTTP(w, withPath(r, path, raw))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func addPrefix(c *routing.AddPrefix, next http.Handler) http.Handler {
	prefix := strings.TrimSuffix(c.Prefix, "/")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw := ""
		if r.URL.RawPath != "" {
			raw = prefix + r.URL.RawPath
		}
		next.ServeHTTP(w, withPath(r, prefix+r.URL.Path, raw))
	})
}

// headers sets (or, with an empty value, removes) custom request headers
// before forwarding and custom response headers before answering.
func headers(c *routing.Headers, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range c.CustomRequestHeaders {
			if v == "" {
				r.Header.Del(k)
			} else {
				r.Header.Set(k, v)
			}
		}
		if len(c.CustomResponseHeaders) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(&headerWriter{ResponseWriter: w, set: c.CustomResponseHeaders}, r)
	})
}

// headerWriter applies response headers when the status is written, over
// whatever the backend sent.
type headerWriter struct {
	http.ResponseWriter
	set  map[string]string
	done bool
}

func (h *headerWriter) apply() {
	if h.done {
		return
	}
	h.done = true
	for k, v := range h.set {
		if v == "" {
			h.Header().Del(k)
		} else {
			h.Header().Set(k, v)
		}
	}
}

func (h *headerWriter) WriteHeader(code int) {
	if code >= 200 || code == http.StatusSwitchingProtocols {
		h.apply()
	}
	h.ResponseWriter.WriteHeader(code)
}

func (h *headerWriter) Write(p []byte) (int, error) {
	h.apply()
	return h.ResponseWriter.Write(p)
}

func (h *headerWriter) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// basicAuth checks credentials against bcrypt hashes. A verified
// user/password pair is remembered (by SHA-256) so bcrypt's deliberate
// slowness is paid once per pair, not per request.
type basicAuth struct {
	cfg *routing.BasicAuth
	ok  sync.Map // sha256(user \x00 password) → struct{}
}

func (ba *basicAuth) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || !ba.check(user, pass) {
			w.Header().Set("WWW-Authenticate", `Basic realm="`+ba.cfg.Realm+`"`)
			http.Error(w, "401 Unauthorized", http.StatusUnauthorized)
			return
		}
		if ba.cfg.RemoveHeader {
			r.Header.Del("Authorization")
		}
		if ba.cfg.HeaderField != "" {
			r.Header.Set(ba.cfg.HeaderField, user)
		}
		next.ServeHTTP(w, r)
	})
}

func (ba *basicAuth) check(user, pass string) bool {
	sum := sha256.Sum256([]byte(user + "\x00" + pass))
	if _, ok := ba.ok.Load(sum); ok {
		return true
	}
	for _, u := range ba.cfg.Users {
		if subtle.ConstantTimeCompare([]byte(u.Name), []byte(user)) == 1 &&
			bcrypt.CompareHashAndPassword([]byte(u.Hash), []byte(pass)) == nil {
			ba.ok.Store(sum, struct{}{})
			return true
		}
	}
	return false
}

func ipAllowList(c *routing.IPAllowList, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex := exchangeOf(r.Context())
		if ex == nil || !c.Allows(ex.clientIP) {
			http.Error(w, "Forbidden", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// retry lets the transport re-send a request that failed at the network
// level to other backends, up to Attempts tries in all.
func retry(c *routing.Retry, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ex := exchangeOf(r.Context()); ex != nil {
			ex.retry = c
		}
		next.ServeHTTP(w, r)
	})
}
