package job

import "time"

// Task is one process run by a driver inside an allocation.
type Task struct {
	Pos Pos // the task block

	Name      string
	Driver    string
	DriverPos Pos
	User      string
	Leader    bool
	Config    Value // a map: the driver's free-form configuration
	Env       Env
	Meta      Meta
	Resources *Resources // nil when the task has no resources block

	Services     []*Service
	Templates    []*Template
	VolumeMounts []*VolumeMount
	Identities   []*Identity // workload identities of the task
	Lifecycle    *Lifecycle
	Logs         *Logs // nil: DefaultLogs

	KillTimeout   time.Duration // 5s when not written
	KillSignal    string
	ShutdownDelay time.Duration
	Restart       *Restart // nil: the group's
	Constraints   []*Constraint
	Affinities    []*Affinity
}

// DefaultKillTimeout is how long a task has to exit after its kill signal.
const DefaultKillTimeout = 5 * time.Second

// Env is a task's environment with the position of each value.
type Env struct {
	Pos    Pos
	Values map[string]string
	KeyPos map[string]Pos
}

// Set sets key to value at pos, allocating the maps on first use.
func (e *Env) Set(key, value string, pos Pos) {
	if e.Values == nil {
		e.Values = map[string]string{}
		e.KeyPos = map[string]Pos{}
	}
	e.Values[key] = value
	e.KeyPos[key] = pos
}

// Resources is what a task asks of its node.
type Resources struct {
	Pos         Pos
	CPU         int // MHz
	CPUPos      Pos
	Cores       int
	MemoryMB    int
	MemoryPos   Pos
	MemoryMaxMB int
	DiskMB      int
}

// Template is a file rendered for a task with consul-template's syntax.
type Template struct {
	Pos Pos

	Data         string
	DataPos      Pos
	DataLines    []Pos // where each line of Data starts in the file (may be empty)
	Source       string
	Destination  string
	Env          bool // render into the task's environment
	ChangeMode   string
	ChangeSignal string
	Perms        string
	LeftDelim    string
	RightDelim   string
	Splay        time.Duration
}

// Template change modes.
const (
	ChangeModeRestart = "restart"
	ChangeModeSignal  = "signal"
	ChangeModeNoop    = "noop"
	ChangeModeScript  = "script"
)

// LinePos returns the file position of byte offset col (0-based) of line n
// (0-based) of Data, or DataPos when line positions are unknown.
func (t *Template) LinePos(n, col int) Pos {
	if n < 0 || n >= len(t.DataLines) {
		return t.DataPos
	}
	p := t.DataLines[n]
	p.Column += col
	return p
}

// VolumeMount mounts a group volume into a task.
type VolumeMount struct {
	Pos         Pos
	Volume      string
	Destination string
	ReadOnly    bool
}

// Lifecycle makes a task a prestart, poststart or poststop hook.
type Lifecycle struct {
	Pos     Pos
	Hook    string
	Sidecar bool
}

// Logs bounds a task's rotated stdout and stderr files.
type Logs struct {
	Pos           Pos
	MaxFiles      int
	MaxFileSizeMB int
}

// DefaultLogs returns Nomad's log rotation defaults: 10 files of 10 MB.
func DefaultLogs() *Logs { return &Logs{MaxFiles: 10, MaxFileSizeMB: 10} }
