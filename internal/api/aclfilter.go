package api

import (
	"errors"
	"net/http"

	"github.com/orbit/orbit/internal/acl"
)

// FilteredHeader marks a list answer from which ACLs removed items, as
// Consul marks it.
const FilteredHeader = "X-Consul-Results-Filtered-By-ACLs"

// aclFilter keeps the items of a list that the request's token may read,
// as Consul filters lists instead of refusing them, and marks the answer
// with FilteredHeader when it drops any. A failure other than a denial
// (an unknown token) is kept in err and answered instead of the list.
type aclFilter struct {
	s   *Server
	w   http.ResponseWriter
	r   *http.Request
	err error
}

func (s *Server) aclFilter(w http.ResponseWriter, r *http.Request) *aclFilter {
	return &aclFilter{s: s, w: w, r: r}
}

// allows says whether the token holds rule; a denial marks the answer.
func (f *aclFilter) allows(rule acl.Rule) bool {
	if f.err != nil {
		return false
	}
	err := f.s.authorize(f.r, rule)
	switch {
	case err == nil:
		return true
	case errors.Is(err, acl.ErrDenied):
		f.w.Header().Set(FilteredHeader, "true")
	default:
		f.err = err
	}
	return false
}
