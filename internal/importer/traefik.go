package importer

import (
	"bytes"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"gopkg.in/yaml.v3"
)

// PlanTraefik maps a Traefik file-provider dynamic configuration (YAML, or
// TOML when the file name ends in .toml): every HTTP service with a
// loadBalancer becomes an external service with one instance per server
// (an HTTP check when the service has a healthCheck path, else TCP), and
// the routers, middlewares and TLS options that use it become its Traefik
// tags. TCP and UDP sections, weighted and mirroring services, TLS
// certificates and option definitions are reported as unmapped.
func PlanTraefik(file string, src []byte) (*Plan, error) {
	var doc map[string]any
	if strings.HasSuffix(strings.ToLower(file), ".toml") {
		if _, err := toml.Decode(string(src), &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	} else if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	t := &traefikPlanner{builder: newBuilder(file), src: src}
	for _, k := range sortedKeys(doc) {
		switch k {
		case "http":
			t.http(asMap(doc[k]))
		case "tls":
			tls := asMap(doc[k])
			for _, part := range sortedKeys(tls) {
				t.unmapped(t.keyLine("tls", part), "tls.%s: TLS certificates, stores and options are the edge's own settings (orbit's ACME or CA, -tls flags); routers keep their tls.options names", part)
			}
		default:
			t.unmapped(t.keyLine(k), "%s section: orbit's edge routes HTTP only", k)
		}
	}
	return t.finish(), nil
}

type traefikPlanner struct {
	*builder
	src []byte
}

// elemLine finds the line defining http.<section>.<name>.
func (t *traefikPlanner) elemLine(section, name string) int {
	return t.keyLine("http", section, name)
}

// keyLine finds the line defining a nested key: a TOML table header
// starting with the dotted path, or the YAML keys at their indentation.
func (t *traefikPlanner) keyLine(path ...string) int {
	if i := bytes.Index(t.src, []byte("["+strings.Join(path, "."))); i >= 0 {
		return bytes.Count(t.src[:i], []byte("\n")) + 1
	}
	keys := make([]string, len(path))
	for i, k := range path {
		keys[i] = "\n" + strings.Repeat("  ", i) + k + ":"
	}
	// The match starts at the newline before the key.
	return t.line(keys...) + 1
}

// line finds the first line naming key after the lines of the keys before
// it (a best effort: decoded maps carry no positions).
func (t *traefikPlanner) line(keys ...string) int {
	off := 0
	for _, k := range keys {
		i := bytes.Index(t.src[off:], []byte(k))
		if i < 0 {
			break
		}
		off += i
	}
	return bytes.Count(t.src[:off], []byte("\n")) + 1
}

func (t *traefikPlanner) http(h map[string]any) {
	services := asMap(h["services"])
	routers := asMap(h["routers"])
	middlewares := asMap(h["middlewares"])
	for _, k := range sortedKeys(h) {
		if k != "services" && k != "routers" && k != "middlewares" {
			t.unmapped(t.line("http", k), "http.%s is not mapped", k)
		}
	}
	for _, name := range sortedKeys(services) {
		t.service(name, asMap(services[name]))
	}
	used := map[string]bool{}
	for _, name := range sortedKeys(routers) {
		for _, mw := range t.router(name, asMap(routers[name])) {
			used[mw] = true
		}
	}
	for _, name := range sortedKeys(middlewares) {
		if !used[name] {
			t.unmapped(t.elemLine("middlewares", name), "middleware %q is used by no router", name)
		}
	}
	// Middleware definitions go on the services of the routers using them.
	for _, rname := range sortedKeys(routers) {
		r := asMap(routers[rname])
		svc := strings.TrimSuffix(asString(r["service"]), "@file")
		if _, ok := services[svc]; !ok {
			continue
		}
		for _, mw := range asStrings(r["middlewares"]) {
			mw = strings.TrimSuffix(mw, "@file")
			def, ok := middlewares[mw]
			if !ok {
				continue
			}
			var tags []string
			flatten("traefik.http.middlewares."+mw, def, &tags)
			t.addTags(svc, t.elemLine("middlewares", mw), tags...)
		}
	}
}

func (t *traefikPlanner) service(name string, s map[string]any) {
	line := t.elemLine("services", name)
	lb, ok := s["loadBalancer"]
	if !ok {
		kinds := sortedKeys(s)
		t.unmapped(line, "service %q (%s): only loadBalancer services are mapped", name, strings.Join(kinds, ", "))
		return
	}
	l := asMap(lb)
	path := ""
	interval, timeout := DefaultInterval, DefaultTimeout
	if hc := asMap(l["healthCheck"]); hc != nil {
		path = asString(hc["path"])
		if path == "" {
			path = "/"
		}
		if d, err := time.ParseDuration(asString(hc["interval"])); err == nil && d > 0 {
			interval = d
		}
		if d, err := time.ParseDuration(asString(hc["timeout"])); err == nil && d > 0 && d < interval {
			timeout = d
		}
	}
	servers := asSlice(l["servers"])
	if len(servers) == 0 {
		t.unmapped(line, "service %q has no servers", name)
	}
	for _, sv := range servers {
		raw := asString(asMap(sv)["url"])
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			t.unmapped(t.line("services", name, raw), "service %q: server url %q is not an http(s) URL", name, raw)
			continue
		}
		def := 80
		if u.Scheme == "https" {
			def = 443
			t.unmapped(t.line("services", name, raw), "service %q: server %s is https; the edge reaches backends over http", name, raw)
		}
		host, port, err := splitHostPortDefault(u.Host, def)
		if err != nil {
			t.unmapped(t.line("services", name, raw), "service %q: server %s: %v", name, raw, err)
			continue
		}
		in := t.instance(name, host, port, t.line("services", name, raw), path)
		for _, c := range t.plan.Checks {
			if c.Node == in.Node && c.ServiceID == in.ID {
				c.Definition.Interval, c.Definition.Timeout = interval, timeout
			}
		}
	}
	for _, k := range sortedKeys(l) {
		switch k {
		case "servers", "healthCheck", "passHostHeader":
		default:
			t.unmapped(t.line("services", name, k), "service %q: loadBalancer.%s is not mapped", name, k)
		}
	}
}

// router writes one router's tags on its service; it returns the
// middlewares the router uses.
func (t *traefikPlanner) router(name string, r map[string]any) []string {
	line := t.elemLine("routers", name)
	svc := asString(r["service"])
	if strings.Contains(svc, "@") && !strings.HasSuffix(svc, "@file") {
		t.unmapped(line, "router %q: service %s belongs to another provider", name, svc)
		return nil
	}
	svc = strings.TrimSuffix(svc, "@file")
	found := false
	for _, in := range t.plan.Instances {
		found = found || in.Name == svc
	}
	if !found {
		t.unmapped(line, "router %q: service %q has no mapped instances", name, svc)
		return nil
	}
	p := "traefik.http.routers." + name + "."
	tags := []string{"traefik.enable=true"}
	var mws []string
	for _, k := range sortedKeys(r) {
		v := r[k]
		switch k {
		case "rule":
			tags = append(tags, p+"rule="+asString(v))
		case "entryPoints":
			tags = append(tags, p+"entrypoints="+strings.Join(asStrings(v), ","))
		case "priority":
			tags = append(tags, p+"priority="+asString(v))
		case "middlewares":
			var names []string
			for _, m := range asStrings(v) {
				if strings.Contains(m, "@") && !strings.HasSuffix(m, "@file") {
					t.unmapped(line, "router %q: middleware %s belongs to another provider", name, m)
					continue
				}
				m = strings.TrimSuffix(m, "@file")
				names = append(names, m)
			}
			mws = names
			if len(names) > 0 {
				tags = append(tags, p+"middlewares="+strings.Join(names, ","))
			}
		case "tls":
			tags = append(tags, p+"tls=true")
			var tlsTags []string
			flatten(p+"tls", v, &tlsTags)
			for _, tt := range tlsTags {
				tags = append(tags, strings.Replace(tt, ".certResolver=", ".certresolver=", 1))
			}
		case "service":
		default:
			t.unmapped(t.line("routers", name, k), "router %q: %s is not mapped", name, k)
		}
	}
	t.addTags(svc, line, tags...)
	return mws
}

// flatten writes a nested map as Traefik tags: maps by key, lists of
// scalars joined by commas, lists of maps by index.
func flatten(prefix string, v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(x) {
			flatten(prefix+"."+k, x[k], out)
		}
	case []any:
		scalars := true
		for _, e := range x {
			if _, ok := e.(map[string]any); ok {
				scalars = false
			}
		}
		if scalars {
			*out = append(*out, prefix+"="+strings.Join(asStrings(x), ","))
			return
		}
		for i, e := range x {
			flatten(fmt.Sprintf("%s[%d]", prefix, i), e, out)
		}
	case nil:
	default:
		*out = append(*out, prefix+"="+asString(x))
	}
}

func asMap(v any) map[string]any {
	switch m := v.(type) {
	case map[string]any:
		return m
	case []map[string]any: // toml arrays of tables
		return nil
	}
	return nil
}

func asSlice(v any) []any {
	switch s := v.(type) {
	case []any:
		return s
	case []map[string]any:
		out := make([]any, len(s))
		for i, m := range s {
			out[i] = m
		}
		return out
	}
	return nil
}

func asString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func asStrings(v any) []string {
	var out []string
	for _, e := range asSlice(v) {
		out = append(out, asString(e))
	}
	if s, ok := v.([]string); ok {
		out = append(out, s...)
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
