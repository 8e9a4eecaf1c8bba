package metrics

import (
	"fmt"

	"github.com/orbit/orbit/internal/metrics/procfs"
	"github.com/orbit/orbit/internal/metrics/tsdb"
)

// irqCharts emits a total chart and one per CPU of interrupts or
// softirqs, with a dimension for each that has fired (as Netdata shows
// them): ids "24", "LOC", "NET_RX", named "Ged_24" for devices.
func irqCharts(emit emitFunc, qs []procfs.IRQ, kind, units string, prio int) {
	total := tsdb.Chart{ID: "system." + kind, Family: kind, Context: "system." + kind, Title: "System " + kind,
		Units: units, ChartType: "stacked", Priority: prio}
	var tv []float64
	cpus := 0
	for _, q := range qs {
		cpus = max(cpus, len(q.PerCPU))
		if q.Total() == 0 {
			continue
		}
		total.Dims = append(total.Dims, irqDim(q))
		tv = append(tv, float64(q.Total()))
	}
	if len(tv) > 0 {
		emit(total, tv)
	}
	for c := 0; c < cpus; c++ {
		ch := tsdb.Chart{ID: fmt.Sprintf("cpu.cpu%d_%s", c, kind), Family: kind, Context: "cpu." + kind,
			Title: fmt.Sprintf("CPU%d %s", c, kind), Units: units, ChartType: "stacked", Priority: prio + 1 + c}
		var v []float64
		for _, q := range qs {
			if c < len(q.PerCPU) && q.PerCPU[c] > 0 {
				ch.Dims = append(ch.Dims, irqDim(q))
				v = append(v, float64(q.PerCPU[c]))
			}
		}
		if len(v) > 0 {
			emit(ch, v)
		}
	}
}

func irqDim(q procfs.IRQ) tsdb.Dim {
	d := tsdb.Dim{ID: q.ID, Enc: tsdb.Counter}
	if q.Device != "" && q.ID != "" && q.ID[0] >= '0' && q.ID[0] <= '9' {
		d.Name = q.Device + "_" + q.ID
	}
	return d
}

func (n *nodeCollector) interrupts(emit emitFunc) error {
	for _, src := range []struct {
		file, kind, units string
		prio              int
	}{{"proc/interrupts", "interrupts", "interrupts/s", 1100}, {"proc/softirqs", "softirqs", "softirqs/s", 1200}} {
		b, err := n.read(src.file)
		if err != nil {
			return err
		}
		qs, err := procfs.ParseInterrupts(b)
		if err != nil {
			return err
		}
		irqCharts(emit, qs, src.kind, src.units, src.prio)
	}
	return nil
}

// snmpChart is one chart of /proc/net/snmp or netstat counters: dims are
// the kernel's names, shown as Netdata names them; sent/out dims are
// negative, as Netdata draws them.
type snmpChart struct {
	id, family, title, units, section string
	gauge                             bool
	dims                              [][3]string // kernel name, shown name, "-" for negative
	scale                             [2]int64    // multiplier, divisor (0: 1)
}

var snmpCharts = []snmpChart{
	{id: "system.ip", family: "network", title: "IP Bandwidth", units: "kilobits/s", section: "IpExt",
		dims: [][3]string{{"InOctets", "received"}, {"OutOctets", "sent", "-"}}, scale: [2]int64{8, 1000}},
	{id: "ipv4.packets", family: "packets", title: "IPv4 Packets", units: "packets/s", section: "Ip",
		dims: [][3]string{{"InReceives", "received"}, {"OutRequests", "sent", "-"}, {"ForwDatagrams", "forwarded"}, {"InDelivers", "delivered"}}},
	{id: "ipv4.tcpsock", family: "tcp", title: "IPv4 TCP Connections", units: "active connections", section: "Tcp", gauge: true,
		dims: [][3]string{{"CurrEstab", "connections"}}},
	{id: "ipv4.tcppackets", family: "tcp", title: "IPv4 TCP Packets", units: "packets/s", section: "Tcp",
		dims: [][3]string{{"InSegs", "received"}, {"OutSegs", "sent", "-"}}},
	{id: "ipv4.tcperrors", family: "tcp", title: "IPv4 TCP Errors", units: "packets/s", section: "Tcp",
		dims: [][3]string{{"InErrs", "InErrs"}, {"InCsumErrors", "InCsumErrors"}, {"RetransSegs", "RetransSegs", "-"}}},
	{id: "ipv4.tcpopens", family: "tcp", title: "IPv4 TCP Opens", units: "connections/s", section: "Tcp",
		dims: [][3]string{{"ActiveOpens", "active"}, {"PassiveOpens", "passive"}}},
	{id: "ipv4.tcphandshake", family: "tcp", title: "IPv4 TCP Handshake Issues", units: "events/s", section: "Tcp",
		dims: [][3]string{{"EstabResets", "EstabResets"}, {"OutRsts", "OutRsts", "-"}, {"AttemptFails", "AttemptFails"}}},
	{id: "ipv4.udppackets", family: "udp", title: "IPv4 UDP Packets", units: "packets/s", section: "Udp",
		dims: [][3]string{{"InDatagrams", "received"}, {"OutDatagrams", "sent", "-"}}},
	{id: "ipv4.udperrors", family: "udp", title: "IPv4 UDP Errors", units: "events/s", section: "Udp",
		dims: [][3]string{{"RcvbufErrors", "RcvbufErrors"}, {"SndbufErrors", "SndbufErrors", "-"}, {"InErrors", "InErrors"},
			{"NoPorts", "NoPorts"}, {"InCsumErrors", "InCsumErrors"}, {"IgnoredMulti", "IgnoredMulti"}}},
	{id: "ipv4.icmp", family: "icmp", title: "IPv4 ICMP Packets", units: "packets/s", section: "Icmp",
		dims: [][3]string{{"InMsgs", "received"}, {"OutMsgs", "sent", "-"}}},
	{id: "ipv4.icmp_errors", family: "icmp", title: "IPv4 ICMP Errors", units: "packets/s", section: "Icmp",
		dims: [][3]string{{"InErrors", "InErrors"}, {"OutErrors", "OutErrors", "-"}, {"InCsumErrors", "InCsumErrors"}}},
	{id: "ip.tcpconnaborts", family: "tcp", title: "TCP Connection Aborts", units: "connections/s", section: "TcpExt",
		dims: [][3]string{{"TCPAbortOnData", "baddata"}, {"TCPAbortOnClose", "userclosed"}, {"TCPAbortOnMemory", "nomemory"},
			{"TCPAbortOnTimeout", "timeout"}, {"TCPAbortOnLinger", "linger"}, {"TCPAbortFailed", "failed", "-"}}},
	{id: "ip.tcp_accept_queue", family: "tcp", title: "TCP Accept Queue Issues", units: "packets/s", section: "TcpExt",
		dims: [][3]string{{"ListenOverflows", "overflows"}, {"ListenDrops", "drops"}}},
	{id: "ip.mcast", family: "multicast", title: "IP Multicast Bandwidth", units: "kilobits/s", section: "IpExt",
		dims: [][3]string{{"InMcastOctets", "received"}, {"OutMcastOctets", "sent", "-"}}, scale: [2]int64{8, 1000}},
	{id: "ip.mcastpkts", family: "multicast", title: "IP Multicast Packets", units: "packets/s", section: "IpExt",
		dims: [][3]string{{"InMcastPkts", "received"}, {"OutMcastPkts", "sent", "-"}}},
	{id: "ip.ecnpkts", family: "ecn", title: "IP ECN Statistics", units: "packets/s", section: "IpExt",
		dims: [][3]string{{"InCEPkts", "CEP"}, {"InNoECTPkts", "NoECTP", "-"}, {"InECT0Pkts", "ECTP0"}, {"InECT1Pkts", "ECTP1"}}},
}

func (n *nodeCollector) netstack(emit emitFunc) error {
	all := map[string]map[string]int64{}
	for _, f := range []string{"proc/net/snmp", "proc/net/netstat"} {
		b, err := n.read(f)
		if err != nil {
			return err
		}
		m, err := procfs.ParseSNMP(b)
		if err != nil {
			return err
		}
		for k, v := range m {
			all[k] = v
		}
	}
	for i, sc := range snmpCharts {
		sec, ok := all[sc.section]
		if !ok {
			continue
		}
		enc := tsdb.Counter
		if sc.gauge {
			enc = tsdb.Gauge
		}
		c := tsdb.Chart{ID: sc.id, Family: sc.family, Context: sc.id, Title: sc.title, Units: sc.units, ChartType: "line", Priority: 3500 + i}
		if sc.scale[0] != 0 {
			c.ChartType = "area"
		}
		var v []float64
		for _, d := range sc.dims {
			x, ok := sec[d[0]]
			if !ok {
				continue
			}
			dim := tsdb.Dim{ID: d[0], Name: d[1], Enc: enc, Multiplier: 1, Divisor: 1}
			if sc.scale[0] != 0 {
				dim.Multiplier, dim.Divisor = sc.scale[0], sc.scale[1]
			}
			if d[2] == "-" {
				dim.Multiplier = -dim.Multiplier
			}
			c.Dims = append(c.Dims, dim)
			v = append(v, float64(x))
		}
		if len(v) > 0 {
			emit(c, v)
		}
	}
	if b, err := n.read("proc/net/sockstat"); err == nil {
		s := procfs.ParseSockstat(b)
		emit(gauge("ipv4.sockstat_sockets", "sockets", "IPv4 Sockets Used", "sockets", 3600, "used"), []float64{float64(s["sockets"]["used"])})
		t := s["TCP"]
		tc := gauge("ipv4.sockstat_tcp_sockets", "tcp", "IPv4 TCP Sockets", "sockets", 3601, "alloc", "orphan", "inuse", "timewait")
		emit(tc, []float64{float64(t["alloc"]), float64(t["orphan"]), float64(t["inuse"]), float64(t["tw"])})
		tm := gauge("ipv4.sockstat_tcp_mem", "tcp", "IPv4 TCP Sockets Memory", "KiB", 3602, "mem")
		tm.ChartType, tm.Dims[0].Multiplier = "area", 4 // pages of 4 KiB
		emit(tm, []float64{float64(t["mem"])})
		emit(gauge("ipv4.sockstat_udp_sockets", "udp", "IPv4 UDP Sockets", "sockets", 3603, "inuse"), []float64{float64(s["UDP"]["inuse"])})
	}
	return nil
}
