package driver

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// HostCPU reports the node's cores and their summed clock speed in MHz, as
// Nomad fingerprints cpu.totalcompute (cores × the reported frequency;
// 1000 MHz per core when /proc/cpuinfo tells no frequency).
func HostCPU() (totalMHz, cores, mhzPerCore int) {
	cores = runtime.NumCPU()
	mhzPerCore = 1000
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			if ok && strings.TrimSpace(k) == "cpu MHz" {
				if mhz, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && mhz > 0 {
					mhzPerCore = int(mhz)
				}
				break
			}
		}
	}
	return cores * mhzPerCore, cores, mhzPerCore
}

// HostMemoryMB reports the node's total memory from /proc/meminfo.
func HostMemoryMB() int {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.Atoi(f[0])
				return kb / 1024
			}
		}
	}
	return 0
}
