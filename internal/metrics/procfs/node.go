package procfs

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// CPU is one line of /proc/stat's cpu times, in USER_HZ ticks.
type CPU struct {
	Name                                           string // "cpu" for the total, "cpu0"...
	User, Nice, System, Idle, IOWait, IRQ, SoftIRQ uint64
	Steal, Guest, GuestNice                        uint64
}

// Stat is /proc/stat.
type Stat struct {
	Total    CPU
	CPUs     []CPU
	Ctxt     uint64 // context switches
	Intr     uint64 // interrupts
	Forks    uint64 // processes created ("processes")
	Running  uint64 // procs_running
	Blocked  uint64 // procs_blocked
	BootTime uint64
}

// ParseStat parses /proc/stat.
func ParseStat(b []byte) (Stat, error) {
	var s Stat
	seen := false
	for _, line := range lines(b) {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch {
		case strings.HasPrefix(f[0], "cpu"):
			c, err := parseCPU(f)
			if err != nil {
				return s, err
			}
			if c.Name == "cpu" {
				s.Total, seen = c, true
			} else {
				s.CPUs = append(s.CPUs, c)
			}
		case f[0] == "ctxt":
			s.Ctxt = u64(f[1])
		case f[0] == "intr":
			s.Intr = u64(f[1])
		case f[0] == "processes":
			s.Forks = u64(f[1])
		case f[0] == "procs_running":
			s.Running = u64(f[1])
		case f[0] == "procs_blocked":
			s.Blocked = u64(f[1])
		case f[0] == "btime":
			s.BootTime = u64(f[1])
		}
	}
	if !seen {
		return s, fmt.Errorf("/proc/stat: no cpu line")
	}
	return s, nil
}

func parseCPU(f []string) (CPU, error) {
	if len(f) < 5 {
		return CPU{}, fmt.Errorf("/proc/stat: short %s line", f[0])
	}
	v := make([]uint64, 10)
	for i := 1; i < len(f) && i <= 10; i++ {
		n, err := strconv.ParseUint(f[i], 10, 64)
		if err != nil {
			return CPU{}, fmt.Errorf("/proc/stat %s field %d: %w", f[0], i, err)
		}
		v[i-1] = n
	}
	return CPU{Name: f[0], User: v[0], Nice: v[1], System: v[2], Idle: v[3], IOWait: v[4], IRQ: v[5],
		SoftIRQ: v[6], Steal: v[7], Guest: v[8], GuestNice: v[9]}, nil
}

// Load is /proc/loadavg.
type Load struct {
	Load1, Load5, Load15 float64
	Running, Threads     uint64 // runnable and total scheduling entities
}

// ParseLoadavg parses /proc/loadavg ("0.67 0.19 0.06 5/145 8430").
func ParseLoadavg(b []byte) (Load, error) {
	f := strings.Fields(string(b))
	if len(f) < 4 {
		return Load{}, fmt.Errorf("/proc/loadavg: %d fields, want 5", len(f))
	}
	var l Load
	var err error
	for i, dst := range []*float64{&l.Load1, &l.Load5, &l.Load15} {
		if *dst, err = strconv.ParseFloat(f[i], 64); err != nil {
			return l, fmt.Errorf("/proc/loadavg: %w", err)
		}
	}
	run, total, ok := strings.Cut(f[3], "/")
	if !ok {
		return l, fmt.Errorf("/proc/loadavg: %q is not running/total", f[3])
	}
	l.Running, l.Threads = u64(run), u64(total)
	return l, nil
}

// ParseKeyValues parses files of "key value [unit]" lines: meminfo
// ("MemTotal:  123 kB", values in kB as written), vmstat, and cgroup
// cpu.stat, memory.stat and memory.events. Lines that do not parse are
// skipped.
func ParseKeyValues(b []byte) map[string]uint64 {
	m := map[string]uint64{}
	for _, line := range lines(b) {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			continue
		}
		m[strings.TrimSuffix(f[0], ":")] = n
	}
	return m
}

// PSILine is one line of a pressure file: the share of time (percent)
// some or all tasks stalled, and the total stall in microseconds.
type PSILine struct {
	Avg10, Avg60, Avg300 float64
	Total                uint64
}

// Pressure is one /proc/pressure/{cpu,io,memory} file.
type Pressure struct {
	Some, Full PSILine
}

// ParsePressure parses a PSI file.
func ParsePressure(b []byte) (Pressure, error) {
	var p Pressure
	for _, line := range lines(b) {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		var l PSILine
		for _, kv := range f[1:] {
			k, v, _ := strings.Cut(kv, "=")
			var err error
			switch k {
			case "avg10":
				l.Avg10, err = strconv.ParseFloat(v, 64)
			case "avg60":
				l.Avg60, err = strconv.ParseFloat(v, 64)
			case "avg300":
				l.Avg300, err = strconv.ParseFloat(v, 64)
			case "total":
				l.Total, err = strconv.ParseUint(v, 10, 64)
			}
			if err != nil {
				return p, fmt.Errorf("pressure %s %s: %w", f[0], k, err)
			}
		}
		switch f[0] {
		case "some":
			p.Some = l
		case "full":
			p.Full = l
		}
	}
	return p, nil
}

// Disk is one line of /proc/diskstats.
type Disk struct {
	Major, Minor                                  uint64
	Name                                          string
	Reads, ReadsMerged, SectorsRead, ReadMs       uint64
	Writes, WritesMerged, SectorsWritten, WriteMs uint64
	InFlight, IOMs, WeightedIOMs                  uint64
	Discards, SectorsDiscarded                    uint64
}

// ParseDiskstats parses /proc/diskstats (sectors are 512 bytes).
func ParseDiskstats(b []byte) ([]Disk, error) {
	var out []Disk
	for _, line := range lines(b) {
		f := strings.Fields(line)
		if len(f) < 14 {
			continue
		}
		v := make([]uint64, len(f))
		for i, s := range f {
			if i == 2 {
				continue
			}
			n, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("/proc/diskstats %s field %d: %w", f[2], i+1, err)
			}
			v[i] = n
		}
		d := Disk{Major: v[0], Minor: v[1], Name: f[2], Reads: v[3], ReadsMerged: v[4], SectorsRead: v[5], ReadMs: v[6],
			Writes: v[7], WritesMerged: v[8], SectorsWritten: v[9], WriteMs: v[10], InFlight: v[11], IOMs: v[12], WeightedIOMs: v[13]}
		if len(f) >= 18 {
			d.Discards, d.SectorsDiscarded = v[14], v[16]
		}
		out = append(out, d)
	}
	return out, nil
}

// NetDev is one interface's counters from /proc/net/dev.
type NetDev struct {
	Name                                            string
	RxBytes, RxPackets, RxErrs, RxDrop, RxMulticast uint64
	TxBytes, TxPackets, TxErrs, TxDrop, TxCarrier   uint64
}

// ParseNetDev parses /proc/net/dev.
func ParseNetDev(b []byte) ([]NetDev, error) {
	var out []NetDev
	for _, line := range lines(b) {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || strings.Contains(name, "|") {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 16 {
			return nil, fmt.Errorf("/proc/net/dev %s: %d fields, want 16", strings.TrimSpace(name), len(f))
		}
		v := make([]uint64, 16)
		for i := range v {
			n, err := strconv.ParseUint(f[i], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("/proc/net/dev %s field %d: %w", strings.TrimSpace(name), i+1, err)
			}
			v[i] = n
		}
		out = append(out, NetDev{Name: strings.TrimSpace(name), RxBytes: v[0], RxPackets: v[1], RxErrs: v[2], RxDrop: v[3],
			RxMulticast: v[7], TxBytes: v[8], TxPackets: v[9], TxErrs: v[10], TxDrop: v[11], TxCarrier: v[14]})
	}
	return out, nil
}

// FileNr is /proc/sys/fs/file-nr: allocated file handles and the maximum.
type FileNr struct{ Allocated, Max uint64 }

// ParseFileNr parses /proc/sys/fs/file-nr ("1793 0 2466093").
func ParseFileNr(b []byte) (FileNr, error) {
	f := strings.Fields(string(b))
	if len(f) != 3 {
		return FileNr{}, fmt.Errorf("/proc/sys/fs/file-nr: %d fields, want 3", len(f))
	}
	return FileNr{Allocated: u64(f[0]), Max: u64(f[2])}, nil
}

// Mount is one line of /proc/mounts.
type Mount struct{ Device, Point, FSType string }

// ParseMounts parses /proc/mounts, unescaping octal escapes in paths.
func ParseMounts(b []byte) []Mount {
	var out []Mount
	for _, line := range lines(b) {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		out = append(out, Mount{Device: unescape(f[0]), Point: unescape(f[1]), FSType: f[2]})
	}
	return out
}

func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// lines splits b into lines without their "\n" or "\r\n", as
// bufio.ScanLines does, without a scanner's buffer (this runs for every
// file read every second).
func lines(b []byte) []string {
	out := make([]string, 0, bytes.Count(b, []byte{'\n'})+1)
	for len(b) > 0 {
		l := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			l, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		out = append(out, string(bytes.TrimSuffix(l, []byte{'\r'})))
	}
	return out
}

func u64(s string) uint64 {
	n, _ := strconv.ParseUint(s, 10, 64)
	return n
}
