package client

import (
	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/view"
)

// TemplateAccess says whether a Consul token may read a KV key (kind
// "key") or a service (kind "service"); the agent backs it with the ACL
// resolver. A task with a derived Consul token renders its templates
// with that token's rights, as consul-template under Nomad does.
type TemplateAccess interface {
	MayRead(token, kind, name string) bool
}

// aclSource is a TemplateSource that hides what a token may not read: a
// denied key is missing (a template waits for it, as consul-template
// retries a 403), a denied service has no entries.
type aclSource struct {
	src TemplateSource
	may func(kind, name string) bool
}

var _ TemplateSource = aclSource{}

func (s aclSource) KV(key string) (*catalog.KVEntry, bool) {
	if !s.may("key", key) {
		return nil, false
	}
	return s.src.KV(key)
}

func (s aclSource) KVList(prefix string) []*catalog.KVEntry {
	var out []*catalog.KVEntry
	for _, e := range s.src.KVList(prefix) {
		if s.may("key", e.Key) {
			out = append(out, e)
		}
	}
	return out
}

func (s aclSource) Entries(service string) []view.Entry {
	if !s.may("service", service) {
		return nil
	}
	return s.src.Entries(service)
}

func (s aclSource) Services() map[string][]string {
	out := map[string][]string{}
	for name, tags := range s.src.Services() {
		if s.may("service", name) {
			out[name] = tags
		}
	}
	return out
}
