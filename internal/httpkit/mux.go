package httpkit

import (
	"net/http"
	"slices"
	"strings"
	"sync"
)

// Mux is a net/http ServeMux that remembers the patterns registered on
// it, so the routes a server serves can be listed (Routes) and held
// against the authorization table the ACL tests keep: a route added
// without an entry there fails them.
type Mux struct {
	*http.ServeMux

	mu       sync.Mutex // guards patterns
	patterns []string
}

// NewMux returns an empty Mux.
func NewMux() *Mux { return &Mux{ServeMux: http.NewServeMux()} }

// Handle registers h for pattern, as http.ServeMux.Handle.
func (m *Mux) Handle(pattern string, h http.Handler) {
	m.ServeMux.Handle(pattern, h)
	m.mu.Lock()
	m.patterns = append(m.patterns, pattern)
	m.mu.Unlock()
}

// HandleFunc registers f for pattern, as http.ServeMux.HandleFunc.
func (m *Mux) HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(f))
}

// Patterns is every pattern registered, in registration order.
func (m *Mux) Patterns() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.patterns)
}

// Router is a handler that can list the patterns it serves.
type Router interface {
	Patterns() []string
}

var _ Router = (*Mux)(nil)

// Routes lists what h serves below prefix: the patterns of a Router whose
// path starts with prefix, or "* "+prefix for a handler that cannot list
// its patterns (everything under the prefix is one route). A pattern
// without a method is listed with "*" as its method.
func Routes(prefix string, h http.Handler) []string {
	r, ok := h.(Router)
	if !ok {
		return []string{"* " + prefix}
	}
	var out []string
	for _, p := range r.Patterns() {
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			method, path = "*", p
		}
		if strings.HasPrefix(path, prefix) {
			out = append(out, method+" "+path)
		}
	}
	return out
}
