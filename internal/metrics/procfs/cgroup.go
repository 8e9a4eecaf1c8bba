package procfs

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseProcCgroup parses /proc/PID/cgroup into the process's cgroup path
// per v1 controller ("memory", "cpu,cpuacct" split into both) and, under
// the key "", its cgroup v2 path.
func ParseProcCgroup(b []byte) map[string]string {
	m := map[string]string{}
	for _, line := range lines(b) {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			m[""] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			m[strings.TrimPrefix(c, "name=")] = parts[2]
		}
	}
	return m
}

// ParseUint parses a single-number cgroup file (memory.limit_in_bytes,
// memory.current, pids.current, cpuacct.usage); "max" is 0, no limit.
func ParseUint(b []byte) (uint64, error) {
	s := strings.TrimSpace(string(b))
	if s == "max" {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("want a number or max: %w", err)
	}
	return n, nil
}

// IO is a cgroup's block I/O summed over its devices.
type IO struct {
	ReadBytes, WriteBytes, Reads, Writes uint64
}

// ParseIOStat parses cgroup v2's io.stat
// ("8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" per device).
func ParseIOStat(b []byte) IO {
	var io IO
	for _, line := range lines(b) {
		f := strings.Fields(line)
		for _, kv := range f[min(1, len(f)):] {
			k, v, _ := strings.Cut(kv, "=")
			n := u64(v)
			switch k {
			case "rbytes":
				io.ReadBytes += n
			case "wbytes":
				io.WriteBytes += n
			case "rios":
				io.Reads += n
			case "wios":
				io.Writes += n
			}
		}
	}
	return io
}

// ParseBlkio parses cgroup v1's blkio.throttle.io_service_bytes or
// io_serviced ("8:0 Read 123" per device and operation) and returns the
// read and write totals over devices.
func ParseBlkio(b []byte) (read, write uint64) {
	for _, line := range lines(b) {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		switch f[1] {
		case "Read":
			read += u64(f[2])
		case "Write":
			write += u64(f[2])
		}
	}
	return read, write
}

// ProcStat is the part of /proc/PID/stat the collector needs.
type ProcStat struct {
	UTime, STime uint64 // USER_HZ ticks
	RSSPages     uint64
}

// ParseProcStat parses /proc/PID/stat, whose second field (the command)
// may hold spaces and parentheses.
func ParseProcStat(b []byte) (ProcStat, error) {
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ProcStat{}, fmt.Errorf("/proc/PID/stat: no command")
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state): utime is field 14, stime 15, rss 24.
	if len(f) < 22 {
		return ProcStat{}, fmt.Errorf("/proc/PID/stat: %d fields after the command, want at least 22", len(f))
	}
	return ProcStat{UTime: u64(f[11]), STime: u64(f[12]), RSSPages: u64(f[21])}, nil
}
