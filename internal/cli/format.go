package cli

import "time"

// short is an ID's first eight characters, as Nomad's CLI shows them.
func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// ago renders a Unix-nanosecond time as its age at now ("3s ago"), or
// "-" when unset.
func ago(nanos int64, now time.Time) string {
	if nanos == 0 {
		return "-"
	}
	d := now.Sub(time.Unix(0, nanos)).Round(time.Second)
	if d < 0 {
		d = 0
	}
	return d.String() + " ago"
}
