package scheduler

import (
	"testing"

	"github.com/orbit/orbit/internal/job"
)

func TestConstraintOperators(t *testing.T) {
	n := &job.NodeInfo{Name: "n1", ID: "uuid-1", Datacenter: "dc1", NodeClass: "gpu",
		Attributes: map[string]string{"kernel.name": "linux", "kernel.version": "6.1.0-18-amd64", "cpu.numcores": "8",
			"driver.docker.version": "27.3.1", "os.signals": "SIGHUP,SIGINT,SIGTERM"},
		Meta: map[string]string{"rack": "r2", "tier": "10"}}
	cases := []struct {
		attr, op, value string
		want            bool
	}{
		{"${attr.kernel.name}", "", "linux", true},
		{"${attr.kernel.name}", "==", "linux", true},
		{"${attr.kernel.name}", "is", "linux", true},
		{"${attr.kernel.name}", "=", "darwin", false},
		{"${attr.kernel.name}", "!=", "darwin", true},
		{"${attr.kernel.name}", "not", "linux", false},
		{"${attr.missing}", "!=", "x", true},
		{"${attr.missing}", "=", "x", false},
		{"${node.unique.name}", "=", "n1", true},
		{"${node.unique.id}", "=", "uuid-1", true},
		{"${node.datacenter}", "=", "dc1", true},
		{"${node.class}", "=", "gpu", true},
		{"${node.pool}", "=", "default", true},
		{"${meta.rack}", "=", "r2", true},
		{"${attr.cpu.numcores}", ">=", "4", true},
		{"${attr.cpu.numcores}", "<", "10", true}, // numeric, not lexical
		{"${meta.tier}", ">", "9", true},
		{"${meta.rack}", "<", "r3", true}, // lexical
		{"${attr.kernel.version}", "regexp", "^6\\.", true},
		{"${attr.kernel.version}", "regexp", "^5\\.", false},
		{"${attr.kernel.version}", "regexp", "([", false},
		{"${attr.driver.docker.version}", "version", ">= 20.10", true},
		{"${attr.driver.docker.version}", "version", ">= 20.10, < 27.0", false},
		{"${attr.driver.docker.version}", "semver", "~> 27.3", true},
		{"${attr.driver.docker.version}", "version", "~> 27.2.0", false},
		{"${attr.driver.docker.version}", "version", "!= 27.3.1", false},
		{"${attr.kernel.version}", "version", "> 6.0", true},
		{"${attr.os.signals}", "set_contains", "SIGHUP,SIGTERM", true},
		{"${attr.os.signals}", "set_contains_all", "SIGHUP,SIGUSR1", false},
		{"${attr.os.signals}", "set_contains_any", "SIGUSR1,SIGINT", true},
		{"${attr.kernel.name}", "is_set", "", true},
		{"${attr.missing}", "is_set", "", false},
		{"${attr.missing}", "is_not_set", "", true},
		{"", "distinct_hosts", "true", true},
		{"linux", "=", "${attr.kernel.name}", true}, // interpolation on the right
	}
	m := newMatcher()
	for _, c := range cases {
		if got := m.Match(c.attr, c.op, c.value, n); got != c.want {
			t.Errorf("%s %s %q = %v, want %v", c.attr, c.op, c.value, got, c.want)
		}
	}
}

func TestVersionCompare(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"1.2.3", "1.2.3", 0}, {"1.2", "1.2.0", 0}, {"1.10", "1.9", 1}, {"v2.0.0", "1.99", 1},
		{"1.0.0-beta", "1.0.0", -1}, {"1.0.0-alpha", "1.0.0-beta", -1}, {"1.0.0+build5", "1.0.0", 0},
	}
	for _, c := range cases {
		av, ap, _ := parseVersion(c.a)
		bv, bp, _ := parseVersion(c.b)
		if got := compareVersions(av, ap, bv, bp); got != c.want {
			t.Errorf("compare %s %s = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
