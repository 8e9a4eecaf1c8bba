// Package procfs parses the kernel's text files that node and cgroup
// metrics come from: /proc/stat, loadavg, meminfo, vmstat, pressure/*,
// diskstats, net/dev, sys/fs/file-nr, mounts, and cgroup v1 and v2
// accounting files.
//
// Every parser is a pure function of the file's contents, tested on
// samples captured from real machines (testdata). It reads no files: the
// metrics feature (internal/metrics) reads them and imports this package.
package procfs
