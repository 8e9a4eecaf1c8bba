package routing

import (
	"errors"
	"fmt"
	"strings"
)

// DefaultRule is Traefik's default rule for a service with no rule tag.
const DefaultRule = "Host(`{{ normalize .Name }}`)"

// EntryPoint is a listener of the edge proxy, known to routing by name.
type EntryPoint struct {
	Name string
	// TLS is true when the entry point terminates TLS (like Traefik's
	// entryPoints.<name>.http.tls): every router attached to it serves TLS.
	TLS bool
}

// Config is what Build needs besides the services. The zero value is
// usable but routes nothing: it has no entry points.
type Config struct {
	// EntryPoints are the proxy's listeners. A router with no entrypoints
	// tag is attached to all of them (Traefik's default entry points).
	EntryPoints []EntryPoint
	// ExposedByDefault, when true, routes every service that does not say
	// traefik.enable=false. When false (the zero value), only services
	// whose instances say traefik.enable=true are routed. Traefik's own
	// default is true; orbit's agent sets it from its configuration.
	ExposedByDefault bool
	// DefaultRule is the rule of routers that have none. It may contain
	// "{{ .Name }}" (the service name) and "{{ normalize .Name }}" (the
	// name made DNS-friendly by Normalize). Empty means DefaultRule.
	DefaultRule string
	// WarningIsBackend makes instances whose health is warning backends
	// too. By default only passing instances receive traffic (Traefik's
	// consulCatalog default, strictChecks=passing,warning, is more lenient).
	WarningIsBackend bool
}

// Validate reports configuration errors: no, duplicate or unnamed entry
// points, and a default rule that does not render or parse.
func (c Config) Validate() error {
	var errs []error
	if len(c.EntryPoints) == 0 {
		errs = append(errs, errors.New("no entry points"))
	}
	seen := map[string]bool{}
	for _, ep := range c.EntryPoints {
		switch {
		case ep.Name == "" || strings.ContainsAny(ep.Name, ", @"):
			errs = append(errs, fmt.Errorf("entry point name %q: must be non-empty, without spaces, commas or \"@\"", ep.Name))
		case seen[ep.Name]:
			errs = append(errs, fmt.Errorf("entry point %q defined twice", ep.Name))
		}
		seen[ep.Name] = true
	}
	if _, err := c.defaultRuleFor("example"); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("routing config: %w", err)
	}
	return nil
}

// defaultRuleFor renders the default rule for a service and checks that
// it parses.
func (c Config) defaultRuleFor(service string) (string, error) {
	tpl := c.DefaultRule
	if tpl == "" {
		tpl = DefaultRule
	}
	rule, err := expandRule(tpl, service)
	if err == nil {
		_, err = ParseRule(rule)
	}
	if err != nil {
		return "", fmt.Errorf("default rule %q: %w", tpl, err)
	}
	return rule, nil
}

// expandRule substitutes {{ .Name }} and {{ normalize .Name }}; anything
// else between {{ and }} is an error. It is a tiny subset of text/template,
// which is all Traefik's documented default rules use.
func expandRule(tpl, name string) (string, error) {
	var b strings.Builder
	for {
		start := strings.Index(tpl, "{{")
		if start < 0 {
			b.WriteString(tpl)
			return b.String(), nil
		}
		end := strings.Index(tpl[start:], "}}")
		if end < 0 {
			return "", fmt.Errorf("unclosed {{ in default rule")
		}
		b.WriteString(tpl[:start])
		switch f := strings.Fields(tpl[start+2 : start+end]); {
		case len(f) == 1 && f[0] == ".Name":
			b.WriteString(name)
		case len(f) == 2 && f[0] == "normalize" && f[1] == ".Name":
			b.WriteString(Normalize(name))
		default:
			return "", fmt.Errorf("unsupported template action {{%s}}: use {{ .Name }} or {{ normalize .Name }}", tpl[start+2:start+end])
		}
		tpl = tpl[start+end+2:]
	}
}

// Status is an instance's aggregated health, with Consul's names.
type Status string

const (
	StatusPassing  Status = "passing"
	StatusWarning  Status = "warning"
	StatusCritical Status = "critical"
)

// Instance is one registered instance of a service, as the catalog holds it.
type Instance struct {
	ID      string
	Node    string
	Address string // IP or host name the proxy dials
	Port    int
	Tags    []string
	Status  Status
	Weight  int // relative weight for weighted balancing; 0 means 1
}

// ServiceInstances is a service name with all its instances, whatever
// their health.
type ServiceInstances struct {
	Name      string
	Instances []Instance
}
