package procfs

import "testing"

func TestParseInterrupts(t *testing.T) {
	qs, err := ParseInterrupts(read(t, "interrupts"))
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]IRQ{}
	for _, q := range qs {
		byID[q.ID] = q
	}
	if q := byID["24"]; q.Device != "Ged" || len(q.PerCPU) != 2 || q.PerCPU[0] != 1 || q.Total() != 1 {
		t.Errorf("irq 24 %+v", q)
	}
	if q := byID["31"]; q.Device != "virtio0-stats" || q.Total() != 1499 {
		t.Errorf("irq 31 %+v", q)
	}
	if q := byID["ERR"]; len(q.PerCPU) != 1 || q.Device != "" {
		t.Errorf("ERR %+v", q)
	}
	if q := byID["PIN"]; len(q.PerCPU) != 2 || q.Device != "event" {
		t.Errorf("PIN %+v", q)
	}
	ss, err := ParseInterrupts(read(t, "softirqs"))
	if err != nil || len(ss) != 10 || ss[1].ID != "TIMER" || ss[1].Total() != 222017+223676 || ss[1].Device != "" {
		t.Errorf("softirqs %+v %v", ss, err)
	}
	if _, err := ParseInterrupts(nil); err == nil {
		t.Error("empty: no error")
	}
}

func TestParseSNMP(t *testing.T) {
	m, err := ParseSNMP(read(t, "net_snmp"))
	if err != nil {
		t.Fatal(err)
	}
	if m["Ip"]["InReceives"] != 2529223 || m["Icmp"]["OutMsgs"] != 83 || m["Tcp"]["MaxConn"] != -1 {
		t.Errorf("snmp %v %v %v", m["Ip"]["InReceives"], m["Icmp"]["OutMsgs"], m["Tcp"]["MaxConn"])
	}
	n, err := ParseSNMP(read(t, "net_netstat"))
	if err != nil || len(n["TcpExt"]) < 50 || len(n["IpExt"]) < 10 {
		t.Errorf("netstat: %d TcpExt, %d IpExt, %v", len(n["TcpExt"]), len(n["IpExt"]), err)
	}
	for _, bad := range []string{"Ip: A B\nIp: 1\n", "Ip: A\nTcp: 1\n", "Ip: A\nIp: x\n"} {
		if _, err := ParseSNMP([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	s := ParseSockstat(read(t, "net_sockstat"))
	if s["TCP"]["tw"] != 666 || s["sockets"]["used"] != 74 || s["UDP"]["inuse"] != 2 {
		t.Errorf("sockstat %v", s)
	}
}
