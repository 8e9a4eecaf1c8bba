package procfs

import (
	"bytes"
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

// ProcStat is the part of /proc/PID/stat the collectors need.
type ProcStat struct {
	Comm           string // the command, without its parentheses
	PPID           int
	MinFlt, MajFlt uint64
	UTime, STime   uint64 // USER_HZ ticks
	Threads        uint64
	Start          uint64 // ticks after boot
	VSize          uint64 // bytes
	RSSPages       uint64
}

// ParseProcStat parses /proc/PID/stat, whose second field (the command)
// may hold spaces and parentheses.
func ParseProcStat(b []byte) (ProcStat, error) {
	i := bytes.LastIndexByte(b, ')')
	j := bytes.IndexByte(b, '(')
	if i < 0 || j < 0 || j > i {
		return ProcStat{}, fmt.Errorf("/proc/PID/stat: no command")
	}
	// f[0] is field 3 (state); field n is f[n-3]: ppid 4, minflt 10,
	// majflt 12, utime 14, stime 15, num_threads 20, starttime 22,
	// vsize 23, rss 24.
	var f [22][]byte
	n := 0
	for _, w := range bytes.Fields(b[i+1:]) {
		if n == len(f) {
			break
		}
		f[n] = w
		n++
	}
	if n < len(f) {
		return ProcStat{}, fmt.Errorf("/proc/PID/stat: %d fields after the command, want at least 22", n)
	}
	return ProcStat{Comm: string(b[j+1 : i]), PPID: int(atou(f[1])), MinFlt: atou(f[7]), MajFlt: atou(f[9]),
		UTime: atou(f[11]), STime: atou(f[12]), Threads: atou(f[17]), Start: atou(f[19]), VSize: atou(f[20]),
		RSSPages: atou(f[21])}, nil
}

// ProcIO is /proc/PID/io: bytes read and written through system calls
// (rchar, wchar) and from storage (read_bytes, write_bytes).
type ProcIO struct {
	RChar, WChar, ReadBytes, WriteBytes uint64
}

// ParseProcIO parses /proc/PID/io without allocating (it runs for every
// process every second).
func ParseProcIO(b []byte) ProcIO {
	var io ProcIO
	for len(b) > 0 {
		l := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			l, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		k, v, ok := bytes.Cut(l, []byte(": "))
		if !ok {
			continue
		}
		n := atou(bytes.TrimSpace(v))
		switch string(k) {
		case "rchar":
			io.RChar = n
		case "wchar":
			io.WChar = n
		case "read_bytes":
			io.ReadBytes = n
		case "write_bytes":
			io.WriteBytes = n
		}
	}
	return io
}

// atou parses decimal digits, stopping at the first other byte.
func atou(b []byte) uint64 {
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + uint64(c-'0')
	}
	return n
}
