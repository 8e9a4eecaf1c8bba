package procfs

import (
	"fmt"
	"strconv"
	"strings"
)

// IRQ is one line of /proc/interrupts or /proc/softirqs: its id ("24",
// "LOC", "NET_RX"), its device or description's last word ("Ged",
// "virtio0-stats"; "" for softirqs) and its count per CPU.
type IRQ struct {
	ID, Device string
	PerCPU     []uint64
}

// Total is the IRQ's count over every CPU.
func (q IRQ) Total() uint64 {
	var t uint64
	for _, n := range q.PerCPU {
		t += n
	}
	return t
}

// ParseInterrupts parses /proc/interrupts or /proc/softirqs: a header of
// CPUs, then "ID: count per CPU [description]". Lines with fewer counts
// (ERR, MIS) keep what they have.
func ParseInterrupts(b []byte) ([]IRQ, error) {
	ls := lines(b)
	if len(ls) == 0 {
		return nil, fmt.Errorf("interrupts: empty")
	}
	cpus := len(strings.Fields(ls[0]))
	var out []IRQ
	for _, line := range ls[1:] {
		id, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		q := IRQ{ID: strings.TrimSpace(id)}
		i := 0
		for ; i < len(f) && i < cpus; i++ {
			n, err := strconv.ParseUint(f[i], 10, 64)
			if err != nil {
				break
			}
			q.PerCPU = append(q.PerCPU, n)
		}
		if i < len(f) {
			last := f[len(f)-1]
			if j := strings.LastIndexByte(last, ':'); j >= 0 {
				last = last[j+1:]
			}
			q.Device = last
		}
		out = append(out, q)
	}
	return out, nil
}

// ParseSNMP parses /proc/net/snmp and /proc/net/netstat: pairs of lines,
// "Section: names..." then "Section: values...", into section → name →
// value (values may be negative: Tcp MaxConn is -1).
func ParseSNMP(b []byte) (map[string]map[string]int64, error) {
	out := map[string]map[string]int64{}
	ls := lines(b)
	for i := 0; i+1 < len(ls); i += 2 {
		hs, hrest, ok1 := strings.Cut(ls[i], ":")
		vs, vrest, ok2 := strings.Cut(ls[i+1], ":")
		if !ok1 || !ok2 || hs != vs {
			return nil, fmt.Errorf("snmp: line %d %q does not pair with its values", i+1, hs)
		}
		names, vals := strings.Fields(hrest), strings.Fields(vrest)
		if len(names) != len(vals) {
			return nil, fmt.Errorf("snmp %s: %d names, %d values", hs, len(names), len(vals))
		}
		m := out[hs]
		if m == nil {
			m = map[string]int64{}
			out[hs] = m
		}
		for j, n := range names {
			v, err := strconv.ParseInt(vals[j], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("snmp %s %s: %w", hs, n, err)
			}
			m[n] = v
		}
	}
	return out, nil
}

// ParseSockstat parses /proc/net/sockstat ("TCP: inuse 18 orphan 0 ...")
// into section → key → value.
func ParseSockstat(b []byte) map[string]map[string]uint64 {
	out := map[string]map[string]uint64{}
	for _, line := range lines(b) {
		sec, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		m := map[string]uint64{}
		for i := 0; i+1 < len(f); i += 2 {
			m[f[i]] = u64(f[i+1])
		}
		out[sec] = m
	}
	return out
}
