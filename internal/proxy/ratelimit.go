package proxy

import (
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orbit/orbit/internal/routing"
)

// rateLimiter allows Average requests per Period per client IP with bursts
// of Burst, using the generic cell rate algorithm: each client has one
// atomic "theoretical arrival time", so the hot path is a load and a
// compare-and-swap, never a lock.
type rateLimiter struct {
	s        *Server
	interval int64 // nanoseconds between requests at the average rate
	burst    int64 // tolerance: how far ahead of now the arrival time may run
	cells    sync.Map
}

func (s *Server) newRateLimiter(c *routing.RateLimit) *rateLimiter {
	interval := int64(c.Period) / c.Average
	rl := &rateLimiter{s: s, interval: max(interval, 1)}
	rl.burst = rl.interval * c.Burst
	return rl
}

// allow reports whether a request from ip may pass now, and if not, how
// long until it may.
func (rl *rateLimiter) allow(ip netip.Addr, now int64) (bool, time.Duration) {
	v, ok := rl.cells.Load(ip)
	if !ok {
		v, _ = rl.cells.LoadOrStore(ip, new(atomic.Int64))
	}
	tat := v.(*atomic.Int64)
	for {
		old := tat.Load()
		next := max(old, now) + rl.interval
		if next-now > rl.burst {
			return false, time.Duration(next - now - rl.burst)
		}
		if tat.CompareAndSwap(old, next) {
			return true, 0
		}
	}
}

func (rl *rateLimiter) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex := exchangeOf(r.Context())
		ok, wait := rl.allow(ex.clientIP, rl.s.clock.Now().UnixNano())
		if !ok {
			w.Header().Set("Retry-After", strconv.FormatInt(int64(wait/time.Second)+1, 10))
			http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sweepLimiters forgets clients whose allowance is full again.
func (s *Server) sweepLimiters() {
	s.upMu.Lock()
	defer s.upMu.Unlock()
	now := s.clock.Now().UnixNano()
	for _, mi := range s.up.mws {
		if mi.limiter == nil {
			continue
		}
		mi.limiter.cells.Range(func(k, v any) bool {
			if v.(*atomic.Int64).Load() <= now {
				mi.limiter.cells.Delete(k)
			}
			return true
		})
	}
}
