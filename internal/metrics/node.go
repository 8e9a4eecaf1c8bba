package metrics

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/orbit/orbit/internal/metrics/procfs"
	"github.com/orbit/orbit/internal/metrics/tsdb"
)

// emitFunc takes one chart's row of raw values for the current second.
type emitFunc func(c tsdb.Chart, values []float64)

// nodeCollector reads the node's /proc and /sys under root.
type nodeCollector struct {
	root string
}

func (n *nodeCollector) read(path string) ([]byte, error) {
	return os.ReadFile(filepath.Join(n.root, path))
}

// collect emits every node chart; a missing source (no PSI, no swap)
// leaves its charts out, a source that fails to parse is an error after
// the others are emitted.
func (n *nodeCollector) collect(emit emitFunc) error {
	var errs []error
	for _, f := range []func(emitFunc) error{n.cpu, n.load, n.memory, n.pressure, n.disks, n.filesystems, n.network, n.files, n.interrupts, n.netstack} {
		if err := f(emit); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

var cpuDims = []string{"guest_nice", "guest", "steal", "softirq", "irq", "user", "system", "nice", "iowait", "idle"}

func cpuChart(id, family, context string, prio int) tsdb.Chart {
	c := tsdb.Chart{ID: id, Family: family, Context: context, Units: "percentage", ChartType: "stacked",
		Priority: prio, PercentOfRow: true, Title: "Total CPU utilization"}
	for _, d := range cpuDims {
		c.Dims = append(c.Dims, tsdb.Dim{ID: d, Enc: tsdb.Counter, Hidden: d == "idle"})
	}
	return c
}

func cpuValues(c procfs.CPU) []float64 {
	// Guest time is also counted in user and nice; show it once.
	return []float64{float64(c.GuestNice), float64(c.Guest), float64(c.Steal), float64(c.SoftIRQ), float64(c.IRQ),
		float64(c.User - min(c.User, c.Guest)), float64(c.System), float64(c.Nice - min(c.Nice, c.GuestNice)),
		float64(c.IOWait), float64(c.Idle)}
}

func (n *nodeCollector) cpu(emit emitFunc) error {
	b, err := n.read("proc/stat")
	if err != nil {
		return err
	}
	s, err := procfs.ParseStat(b)
	if err != nil {
		return err
	}
	emit(cpuChart("system.cpu", "cpu", "system.cpu", 100), cpuValues(s.Total))
	for i, c := range s.CPUs {
		ch := cpuChart("cpu."+c.Name, "utilization", "cpu.cpu", 1000+i)
		ch.Title = "Core utilization"
		emit(ch, cpuValues(c))
	}
	emit(counter("system.intr", "interrupts", "CPU Interrupts", "interrupts/s", 900, "interrupts"), []float64{float64(s.Intr)})
	emit(counter("system.ctxt", "processes", "CPU Context Switches", "context switches/s", 800, "switches"), []float64{float64(s.Ctxt)})
	emit(counter("system.forks", "processes", "Started Processes", "processes/s", 700, "started"), []float64{float64(s.Forks)})
	emit(gauge("system.processes", "processes", "System Processes", "processes", 600, "running", "blocked"),
		[]float64{float64(s.Running), float64(s.Blocked)})
	return nil
}

func (n *nodeCollector) load(emit emitFunc) error {
	b, err := n.read("proc/loadavg")
	if err != nil {
		return err
	}
	l, err := procfs.ParseLoadavg(b)
	if err != nil {
		return err
	}
	c := gauge("system.load", "load", "System Load Average", "load", 200, "load1", "load5", "load15")
	for i := range c.Dims {
		c.Dims[i].Divisor = 1000
	}
	emit(c, []float64{l.Load1 * 1000, l.Load5 * 1000, l.Load15 * 1000})
	emit(gauge("system.active_processes", "processes", "System Active Processes", "processes", 650, "active"),
		[]float64{float64(l.Threads)})
	return nil
}

func (n *nodeCollector) memory(emit emitFunc) error {
	b, err := n.read("proc/meminfo")
	if err != nil {
		return err
	}
	m := procfs.ParseKeyValues(b)
	total, free := m["MemTotal"], m["MemFree"]
	if total == 0 {
		return fmt.Errorf("/proc/meminfo: no MemTotal")
	}
	cached := m["Cached"] + m["SReclaimable"] - min(m["Shmem"], m["Cached"]+m["SReclaimable"])
	buffers := m["Buffers"]
	used := total - min(total, free+cached+buffers)
	ram := gauge("system.ram", "ram", "System RAM", "MiB", 300, "free", "used", "cached", "buffers")
	ram.ChartType = "stacked"
	kib(ram.Dims)
	emit(ram, []float64{float64(free), float64(used), float64(cached), float64(buffers)})
	avail := gauge("mem.available", "system", "Available RAM for applications", "MiB", 310, "MemAvailable")
	avail.ChartType, avail.Dims[0].Name = "area", "avail"
	kib(avail.Dims)
	emit(avail, []float64{float64(m["MemAvailable"])})
	if st := m["SwapTotal"]; st > 0 {
		sw := gauge("system.swap", "swap", "System Swap", "MiB", 320, "free", "used")
		sw.ChartType = "stacked"
		kib(sw.Dims)
		emit(sw, []float64{float64(m["SwapFree"]), float64(st - min(st, m["SwapFree"]))})
	}
	if b, err := n.read("proc/vmstat"); err == nil {
		v := procfs.ParseKeyValues(b)
		io := counter("system.swapio", "swap", "Swap I/O", "KiB/s", 330, "in", "out")
		io.Dims[0].Multiplier, io.Dims[0].Divisor = 4096, 1024
		io.Dims[1].Multiplier, io.Dims[1].Divisor = -4096, 1024
		emit(io, []float64{float64(v["pswpin"]), float64(v["pswpout"])})
		emit(counter("mem.pgfaults", "page faults", "Memory Page Faults", "faults/s", 340, "minor", "major"),
			[]float64{float64(v["pgfault"] - min(v["pgfault"], v["pgmajfault"])), float64(v["pgmajfault"])})
	}
	return nil
}

// kib shows KiB values in MiB.
func kib(ds []tsdb.Dim) {
	for i := range ds {
		ds[i].Divisor = 1024
	}
}

func (n *nodeCollector) pressure(emit emitFunc) error {
	// Netdata's families for the three resources.
	family := map[string]string{"cpu": "cpu", "memory": "ram", "io": "disk"}
	for i, res := range []string{"cpu", "memory", "io"} {
		b, err := n.read("proc/pressure/" + res)
		if err != nil {
			return err
		}
		p, err := procfs.ParsePressure(b)
		if err != nil {
			return err
		}
		kinds := []struct {
			name string
			l    procfs.PSILine
		}{{"some", p.Some}, {"full", p.Full}}
		for j, k := range kinds {
			if res == "cpu" && k.name == "full" && k.l.Total == 0 {
				continue // the kernel reports cpu full only from 5.13, as zeros
			}
			c := gauge(fmt.Sprintf("system.%s_%s_pressure", res, k.name), family[res], fmt.Sprintf("%s %s pressure", strings.ToUpper(res[:1])+res[1:], k.name),
				"percentage", 400+10*i+j, k.name+" 10", k.name+" 60", k.name+" 300")
			for d := range c.Dims {
				c.Dims[d].Divisor = 100
			}
			emit(c, []float64{k.l.Avg10 * 100, k.l.Avg60 * 100, k.l.Avg300 * 100})
			st := counter(fmt.Sprintf("system.%s_%s_pressure_stall_time", res, k.name), family[res],
				fmt.Sprintf("%s stall time", strings.ToUpper(res[:1])+res[1:]), "ms", 401+10*i+j, "time")
			st.Dims[0].Divisor = 1000
			emit(st, []float64{float64(k.l.Total)})
		}
	}
	return nil
}

func (n *nodeCollector) disks(emit emitFunc) error {
	b, err := n.read("proc/diskstats")
	if err != nil {
		return err
	}
	ds, err := procfs.ParseDiskstats(b)
	if err != nil {
		return err
	}
	for i, d := range ds {
		if strings.HasPrefix(d.Name, "loop") || strings.HasPrefix(d.Name, "ram") {
			continue
		}
		if _, err := os.Stat(filepath.Join(n.root, "sys/block", d.Name)); err != nil {
			continue // a partition: its disk is charted
		}
		prio := 2000 + 10*i
		io := counter("disk."+d.Name, d.Name, "Disk I/O Bandwidth", "KiB/s", prio, "reads", "writes")
		io.Context, io.ChartType = "disk.io", "area"
		io.Dims[0].Multiplier, io.Dims[0].Divisor = 512, 1024
		io.Dims[1].Multiplier, io.Dims[1].Divisor = -512, 1024
		emit(io, []float64{float64(d.SectorsRead), float64(d.SectorsWritten)})
		ops := counter("disk_ops."+d.Name, d.Name, "Disk Completed I/O Operations", "operations/s", prio+1, "reads", "writes")
		ops.Context = "disk.ops"
		ops.Dims[1].Multiplier = -1
		emit(ops, []float64{float64(d.Reads), float64(d.Writes)})
		util := counter("disk_util."+d.Name, d.Name, "Disk Utilization Time", "% of time working", prio+2, "utilization")
		util.Context, util.ChartType = "disk.util", "area"
		util.Dims[0].Divisor = 10 // ms busy per second
		emit(util, []float64{float64(d.IOMs)})
		bl := gauge("disk_backlog."+d.Name, d.Name, "Disk Current I/O Operations", "operations", prio+3, "operations")
		bl.Context = "disk.qops"
		emit(bl, []float64{float64(d.InFlight)})
	}
	return nil
}

// realFS are the filesystem types whose space is charted.
var realFS = map[string]bool{"ext2": true, "ext3": true, "ext4": true, "xfs": true, "btrfs": true, "zfs": true,
	"vfat": true, "f2fs": true, "jfs": true, "reiserfs": true, "nfs": true, "nfs4": true, "overlay": false}

func (n *nodeCollector) filesystems(emit emitFunc) error {
	b, err := n.read("proc/mounts")
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, m := range procfs.ParseMounts(b) {
		if !realFS[m.FSType] || seen[m.Device] {
			continue
		}
		seen[m.Device] = true
		var st syscall.Statfs_t
		if err := syscall.Statfs(filepath.Join(n.root, m.Point), &st); err != nil {
			continue
		}
		bs := uint64(st.Bsize)
		avail, free, total := st.Bavail*bs, st.Bfree*bs, st.Blocks*bs
		prio := 2500 + 2*i
		sp := gauge("disk_space."+chartName(m.Point), m.Point, "Disk Space Usage", "GiB", prio, "avail", "used", "reserved_for_root")
		sp.Context, sp.ChartType = "disk.space", "stacked"
		for d := range sp.Dims {
			sp.Dims[d].Divisor = 1 << 30
		}
		emit(sp, []float64{float64(avail), float64(total - min(total, free)), float64(free - min(free, avail))})
		if st.Files > 0 {
			in := gauge("disk_inodes."+chartName(m.Point), m.Point, "Disk Files (inodes) Usage", "inodes", prio+1, "avail", "used", "reserved_for_root")
			in.Context, in.ChartType = "disk.inodes", "stacked"
			emit(in, []float64{float64(st.Ffree), float64(st.Files - min(st.Files, st.Ffree)), 0})
		}
	}
	return nil
}

// chartName makes a mount point a chart id part as Netdata does ("/" is
// "_", "/var/lib" is "_var_lib").
func chartName(p string) string { return strings.ReplaceAll(p, "/", "_") }

func (n *nodeCollector) network(emit emitFunc) error {
	b, err := n.read("proc/net/dev")
	if err != nil {
		return err
	}
	ns, err := procfs.ParseNetDev(b)
	if err != nil {
		return err
	}
	for i, d := range ns {
		prio := 3000 + 10*i
		bw := counter("net."+d.Name, d.Name, "Bandwidth", "kilobits/s", prio, "received", "sent")
		bw.Context, bw.ChartType = "net.net", "area"
		bw.Dims[0].Multiplier, bw.Dims[0].Divisor = 8, 1000
		bw.Dims[1].Multiplier, bw.Dims[1].Divisor = -8, 1000
		emit(bw, []float64{float64(d.RxBytes), float64(d.TxBytes)})
		pk := counter("net_packets."+d.Name, d.Name, "Packets", "packets/s", prio+1, "received", "sent", "multicast")
		pk.Context = "net.packets"
		pk.Dims[1].Multiplier = -1
		emit(pk, []float64{float64(d.RxPackets), float64(d.TxPackets), float64(d.RxMulticast)})
		er := counter("net_errors."+d.Name, d.Name, "Interface Errors", "errors/s", prio+2, "inbound", "outbound")
		er.Context = "net.errors"
		er.Dims[1].Multiplier = -1
		emit(er, []float64{float64(d.RxErrs), float64(d.TxErrs)})
		dr := counter("net_drops."+d.Name, d.Name, "Interface Drops", "drops/s", prio+3, "inbound", "outbound")
		dr.Context = "net.drops"
		dr.Dims[1].Multiplier = -1
		emit(dr, []float64{float64(d.RxDrop), float64(d.TxDrop)})
	}
	return nil
}

func (n *nodeCollector) files(emit emitFunc) error {
	b, err := n.read("proc/sys/fs/file-nr")
	if err != nil {
		return err
	}
	f, err := procfs.ParseFileNr(b)
	if err != nil {
		return err
	}
	emit(gauge("system.file_nr_used", "files", "File Descriptors", "files", 660, "used"), []float64{float64(f.Allocated)})
	u := gauge("system.file_nr_utilization", "files", "File Descriptors Utilization", "percentage", 661, "used")
	u.Dims[0].Divisor = 10000
	emit(u, []float64{float64(f.Allocated) * 1e6 / float64(max(f.Max, 1))})
	return nil
}

func chartOf(id, family, title, units string, prio int, enc tsdb.Encoding, dims ...string) tsdb.Chart {
	c := tsdb.Chart{ID: id, Family: family, Context: id, Title: title, Units: units, ChartType: "line", Priority: prio}
	for _, d := range dims {
		c.Dims = append(c.Dims, tsdb.Dim{ID: d, Enc: enc})
	}
	return c
}

func gauge(id, family, title, units string, prio int, dims ...string) tsdb.Chart {
	return chartOf(id, family, title, units, prio, tsdb.Gauge, dims...)
}

func counter(id, family, title, units string, prio int, dims ...string) tsdb.Chart {
	return chartOf(id, family, title, units, prio, tsdb.Counter, dims...)
}
