package cli

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/orbit/orbit/internal/nomadwire"
)

// renderGroups is a deployment's table of task groups, each line after
// indent; the Promoted and Canaries columns appear when some group has
// canaries, as in Nomad.
func renderGroups(d *nomadwire.Deployment, indent string) string {
	var b strings.Builder
	canaries := false
	groups := make([]string, 0, len(d.TaskGroups))
	for g, s := range d.TaskGroups {
		groups = append(groups, g)
		canaries = canaries || s.DesiredCanaries > 0
	}
	sort.Strings(groups)
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	if canaries {
		fmt.Fprintln(tw, indent+"Task Group\tAuto Revert\tPromoted\tDesired\tCanaries\tPlaced\tHealthy\tUnhealthy\tProgress Deadline")
	} else {
		fmt.Fprintln(tw, indent+"Task Group\tAuto Revert\tDesired\tPlaced\tHealthy\tUnhealthy\tProgress Deadline")
	}
	for _, g := range groups {
		s := d.TaskGroups[g]
		deadline := "-"
		if !s.RequireProgressBy.IsZero() {
			deadline = s.RequireProgressBy.Local().Format(time.DateTime)
		}
		if canaries {
			fmt.Fprintf(tw, "%s%s\t%v\t%v\t%d\t%d\t%d\t%d\t%d\t%s\n", indent, g, s.AutoRevert, s.Promoted, s.DesiredTotal,
				s.DesiredCanaries, s.PlacedAllocs, s.HealthyAllocs, s.UnhealthyAllocs, deadline)
		} else {
			fmt.Fprintf(tw, "%s%s\t%v\t%d\t%d\t%d\t%d\t%s\n", indent, g, s.AutoRevert, s.DesiredTotal, s.PlacedAllocs,
				s.HealthyAllocs, s.UnhealthyAllocs, deadline)
		}
	}
	tw.Flush()
	return b.String()
}

// awaitingPromotion reports whether a running deployment waits for an
// operator: some group without auto_promote has all its canaries placed
// and healthy and is not promoted.
func awaitingPromotion(d *nomadwire.Deployment) bool {
	if d.Status != "running" {
		return false
	}
	for _, s := range d.TaskGroups {
		if s.DesiredCanaries > 0 && !s.Promoted && !s.AutoPromote && len(s.PlacedCanaries) >= s.DesiredCanaries &&
			s.HealthyAllocs >= s.DesiredCanaries {
			return true
		}
	}
	return false
}
