package job

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time_zone names resolve on machines without a zoneinfo database

	"github.com/hashicorp/cronexpr"
)

// PeriodicSpecCron is the only spec type, as in Nomad.
const PeriodicSpecCron = "cron"

// PeriodicLaunchSuffix joins a periodic job's ID and a launch time (Unix
// seconds) into the ID of the child job launched then, as Nomad does.
const PeriodicLaunchSuffix = "/periodic-"

// TriggerPeriodicJob is the trigger of a periodic child's first
// evaluation (Nomad's).
const TriggerPeriodicJob = "periodic-job"

// Periodic is a job's periodic block: the job itself is not placed; a
// child job is launched from it at each time its cron specs name.
type Periodic struct {
	Pos     Pos
	Enabled bool // true unless written false
	// Spec is the single "cron" attribute; Specs the "crons" list. One of
	// the two is set: Nomad keeps them apart and so does orbit.
	Spec            string
	Specs           []string
	SpecType        string // "cron"
	ProhibitOverlap bool
	TimeZone        string // an IANA name; "" means UTC
}

// IsPeriodic reports whether the job launches children on a schedule.
func (j *Job) IsPeriodic() bool { return j != nil && j.Periodic != nil }

// AllSpecs lists the cron expressions: Spec, or Specs.
func (p *Periodic) AllSpecs() []string {
	if p.Spec != "" {
		return []string{p.Spec}
	}
	return p.Specs
}

// Location is the time zone launch times are computed in.
func (p *Periodic) Location() (*time.Location, error) {
	if p.TimeZone == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("Invalid time zone %q: %v", p.TimeZone, err)
	}
	return loc, nil
}

// validate lists the block's problems in Nomad's words.
func (p *Periodic) validate(j *Job) []string {
	var out []string
	if j.Type != TypeBatch {
		out = append(out, fmt.Sprintf("Periodic can only be used with %q scheduler", TypeBatch))
	}
	if p.Spec != "" && len(p.Specs) > 0 {
		out = append(out, "Only cron or crons may be used")
	}
	if len(p.AllSpecs()) == 0 {
		out = append(out, "Must specify a spec")
	}
	if p.SpecType != PeriodicSpecCron && p.SpecType != "" {
		out = append(out, fmt.Sprintf("Unknown periodic specification type %q", p.SpecType))
	}
	for _, s := range p.AllSpecs() {
		if _, err := cronexpr.Parse(s); err != nil {
			out = append(out, fmt.Sprintf("Invalid cron spec %q: %v", s, err))
		}
	}
	if _, err := p.Location(); err != nil {
		out = append(out, err.Error())
	}
	return out
}

// Next is the first launch time strictly after from, over every spec, in
// the block's time zone; ok is false when no spec names a later time.
func (p *Periodic) Next(from time.Time) (next time.Time, ok bool, err error) {
	loc, err := p.Location()
	if err != nil {
		return time.Time{}, false, err
	}
	for _, s := range p.AllSpecs() {
		e, err := cronexpr.Parse(s)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("cron spec %q: %w", s, err)
		}
		t := e.Next(from.In(loc))
		if t.IsZero() {
			continue
		}
		if !ok || t.Before(next) {
			next, ok = t, true
		}
	}
	return next, ok, nil
}

// PeriodicChildID is the ID of the child of parent launched at launch.
func PeriodicChildID(parent string, launch time.Time) string {
	return parent + PeriodicLaunchSuffix + strconv.FormatInt(launch.Unix(), 10)
}

// PeriodicLaunchTime is the launch time in a periodic child's ID of
// parent, and whether id is one.
func PeriodicLaunchTime(parent, id string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(id, parent+PeriodicLaunchSuffix)
	if !ok {
		return time.Time{}, false
	}
	sec, err := strconv.ParseInt(rest, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(sec, 0).UTC(), true
}

// ErrNotPeriodic is returned when a periodic child is asked of a job that
// has no periodic block.
var ErrNotPeriodic = errors.New("job is not periodic")

// PeriodicChild is the job launched from the periodic job j at launch: a
// copy with the child's ID and name, ParentID set and no periodic block
// (Nomad's derived child job).
func (j *Job) PeriodicChild(launch time.Time) (*Job, error) {
	if !j.IsPeriodic() {
		return nil, ErrNotPeriodic
	}
	c, err := j.Copy()
	if err != nil {
		return nil, fmt.Errorf("copy periodic job %q: %w", j.ID, err)
	}
	c.ID = PeriodicChildID(j.ID, launch)
	c.Name = c.ID
	c.ParentID = j.ID
	c.Periodic = nil
	return c, nil
}

// Copy returns a deep copy of j (through its stored JSON form, which
// round-trips: versions are stored that way).
func (j *Job) Copy() (*Job, error) {
	b, err := json.Marshal(j)
	if err != nil {
		return nil, err
	}
	var c Job
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	return &c, nil
}
