package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

// maxKVValue is Consul's default KV value limit.
const maxKVValue = 512 * 1024

func (s *Server) kvGet(w http.ResponseWriter, r *http.Request) error {
	key := r.PathValue("key")
	q := r.URL.Query()
	_, recurse := q["recurse"]
	_, keys := q["keys"]
	_, raw := q["raw"]
	// Lists keep the keys the token may read, as Consul filters them.
	if keys {
		return s.blocking(w, r, view.KVPrefixRes(key), func() (any, error) {
			return s.kvKeys(s.aclFilter(w, r), key, q.Get("separator"))
		})
	}
	if recurse {
		return s.blocking(w, r, view.KVPrefixRes(key), func() (any, error) {
			f := s.aclFilter(w, r)
			var out []*kvJSON
			for _, e := range s.view.KVList(key) {
				if f.allows(acl.Rule{Resource: acl.Key, Segment: e.Key, Access: acl.Read}) {
					out = append(out, toKVJSON(e))
				}
			}
			if f.err != nil {
				return nil, f.err
			}
			if len(out) == 0 {
				return nil, fmt.Errorf("%w: no keys under %q", httpkit.ErrNotFound, key)
			}
			return out, nil
		})
	}
	if err := s.authorize(r, acl.Rule{Resource: acl.Key, Segment: key, Access: acl.Read}); err != nil {
		return err
	}
	if key == "" {
		return httpkit.BadRequest("Missing key name")
	}
	return s.blocking(w, r, view.KVRes(key), func() (any, error) {
		e, ok := s.view.KV(key)
		if !ok {
			return nil, fmt.Errorf("%w: key %q", httpkit.ErrNotFound, key)
		}
		if raw {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(e.Value)
			return nil, nil
		}
		return []*kvJSON{toKVJSON(e)}, nil
	})
}

// kvKeys lists the keys under prefix, cut after the first separator past
// the prefix (Consul's ?keys&separator=/), that the token may read (f).
func (s *Server) kvKeys(f *aclFilter, prefix, sep string) (any, error) {
	var out []string
	seen := map[string]bool{}
	for _, e := range s.view.KVList(prefix) {
		k := e.Key
		if sep != "" {
			if i := strings.Index(k[len(prefix):], sep); i >= 0 {
				k = k[:len(prefix)+i+len(sep)]
			}
		}
		if !seen[k] {
			seen[k] = true
			if f.allows(acl.Rule{Resource: acl.Key, Segment: k, Access: acl.Read}) {
				out = append(out, k)
			}
		}
	}
	if f.err != nil {
		return nil, f.err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no keys under %q", httpkit.ErrNotFound, prefix)
	}
	return out, nil
}

func parseUintParam(r *http.Request, name string) (*uint64, error) {
	s, ok := r.URL.Query()[name]
	if !ok {
		return nil, nil
	}
	v, err := strconv.ParseUint(s[0], 10, 64)
	if err != nil {
		return nil, httpkit.BadRequest("invalid %s %q: must be a non-negative integer", name, s[0])
	}
	return &v, nil
}

func (s *Server) kvPut(w http.ResponseWriter, r *http.Request) error {
	key := r.PathValue("key")
	if key == "" {
		return httpkit.BadRequest("Missing key name")
	}
	q := r.URL.Query()
	acquire, release, err := lockParams(q)
	if err != nil {
		return err
	}
	if err := s.checkDC(r); err != nil {
		return err
	}
	if err := s.authorize(r, acl.Rule{Resource: acl.Key, Segment: key, Access: acl.Write}); err != nil {
		return err
	}
	flags, err := parseUintParam(r, "flags")
	if err != nil {
		return err
	}
	cas, err := parseUintParam(r, "cas")
	if err != nil {
		return err
	}
	val, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxKVValue))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			fmt.Fprintf(w, "Request body(%d bytes) too large, max size: %d bytes\n", r.ContentLength, maxKVValue)
			return nil
		}
		return httpkit.BadRequest("read value: %v", err)
	}
	var f uint64
	if flags != nil {
		f = *flags
	}
	var ok bool
	var rev int64
	switch {
	case acquire != "":
		ok, rev, err = s.store.KVAcquire(r.Context(), key, f, val, acquire, s.clock.Now())
		if errors.Is(err, store.ErrInvalidSession) {
			return httpkit.BadRequest("invalid session %q: it does not exist (expired or destroyed?)", acquire)
		}
	case release != "":
		ok, rev, err = s.store.KVRelease(r.Context(), key, f, val, release)
	default:
		ok, rev, err = s.store.KVPut(r.Context(), key, f, val, cas)
	}
	if err != nil {
		return err
	}
	if ok {
		if err := s.waitWrite(r.Context(), rev); err != nil {
			return err
		}
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, ok)
}

// lockParams reads ?acquire= and ?release= (each names a session; at most
// one of them, and not with cas).
func lockParams(q url.Values) (acquire, release string, err error) {
	_, hasAcq := q["acquire"]
	_, hasRel := q["release"]
	acquire, release = q.Get("acquire"), q.Get("release")
	switch {
	case hasAcq && hasRel:
		return "", "", httpkit.BadRequest("cannot use acquire and release together")
	case hasAcq && acquire == "", hasRel && release == "":
		return "", "", httpkit.BadRequest("acquire and release need a session ID")
	case (hasAcq || hasRel) && q.Has("cas"):
		return "", "", httpkit.BadRequest("cas cannot be used with acquire or release")
	}
	return acquire, release, nil
}

func (s *Server) kvDelete(w http.ResponseWriter, r *http.Request) error {
	key := r.PathValue("key")
	_, recurse := r.URL.Query()["recurse"]
	if key == "" && !recurse {
		return httpkit.BadRequest("Missing key name")
	}
	if err := s.authorize(r, acl.Rule{Resource: acl.Key, Segment: key, Access: acl.Write}); err != nil {
		return err
	}
	cas, err := parseUintParam(r, "cas")
	if err != nil {
		return err
	}
	if cas != nil && recurse {
		return httpkit.BadRequest("cas cannot be used with recurse")
	}
	ok, rev, err := s.store.KVDelete(r.Context(), key, recurse, cas)
	if err != nil {
		return err
	}
	if ok {
		if err := s.waitWrite(r.Context(), rev); err != nil {
			return err
		}
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, ok)
}
