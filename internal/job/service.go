package job

import "time"

// Service is a service registration: a name, a port and the checks that say
// whether an instance may receive traffic. A group-level service belongs to
// the group; a task-level one to its task (Task is set).
type Service struct {
	Pos Pos

	Name        string
	NamePos     Pos
	Port        string // a port label or a number
	PortPos     Pos
	Tags        []string
	TagPos      []Pos // the position of each tag, same length as Tags
	CanaryTags  []string
	Meta        Meta
	Provider    string // "consul" (default) or "nomad": both mean orbit's catalog
	AddressMode string
	Address     string
	Task        string // the task that runs the service; set for task-level services
	Checks      []*Check
	Identity    *Identity // nil when the service has no identity block
}

// Service address modes (Nomad's address_mode): auto and host advertise
// the host address the service's port is bound on (its host network's);
// driver advertises the node's address with the port's "to"; alloc the
// node's address.
const (
	AddressModeAuto   = "auto"
	AddressModeHost   = "host"
	AddressModeDriver = "driver"
	AddressModeAlloc  = "alloc"
)

// Service providers.
const (
	ProviderConsul = "consul"
	ProviderNomad  = "nomad"
)

// HasTag reports whether the service carries tag exactly.
func (s *Service) HasTag(tag string) bool {
	for _, t := range s.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// Check is a health check of a service.
type Check struct {
	Pos Pos

	Name                   string
	Type                   string // http, tcp, grpc, ttl or script
	TypePos                Pos
	Port                   string
	Path                   string
	Method                 string
	Protocol               string
	Header                 map[string][]string
	Body                   string
	Command                string
	Args                   []string
	Task                   string
	GRPCService            string
	GRPCUseTLS             bool
	TLSSkipVerify          bool
	TLSServerName          string
	Interval               time.Duration
	IntervalPos            Pos // zero when interval was not written
	Timeout                time.Duration
	TimeoutPos             Pos // zero when timeout was not written
	InitialStatus          string
	SuccessBeforePassing   int
	FailuresBeforeCritical int
	FailuresBeforeWarning  int
	OnUpdate               string
	CheckRestart           *CheckRestart
}

// Check types.
const (
	CheckHTTP   = "http"
	CheckTCP    = "tcp"
	CheckGRPC   = "grpc"
	CheckTTL    = "ttl"
	CheckScript = "script"
)

// CheckRestart restarts a task whose check stays unhealthy.
type CheckRestart struct {
	Pos            Pos
	Limit          int
	Grace          time.Duration
	IgnoreWarnings bool
}

// Identity asks for a workload identity token: for a service, the token it
// uses to register itself; for a task, a token in its environment or files.
type Identity struct {
	Pos          Pos
	Name         string
	Aud          []string
	AudPos       Pos
	TTL          time.Duration
	Env          bool
	File         bool
	ChangeMode   string
	ChangeSignal string
}
