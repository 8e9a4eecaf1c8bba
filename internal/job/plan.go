package job

// PlanSummary is what a dry run of the scheduler would do with a job
// version, per group (Nomad's plan annotations).
type PlanSummary struct {
	Groups map[string]*GroupPlan   `json:"groups"`
	Failed map[string]*AllocMetric `json:"failed,omitempty"`
	// Placements lists the nodes new allocations would go to, by group.
	Placements map[string][]string `json:"placements,omitempty"`
}

// GroupPlan counts a plan's decisions for one group.
type GroupPlan struct {
	Place       int `json:"place"`
	Canary      int `json:"canary,omitempty"` // canaries placed (not counted in Place)
	Stop        int `json:"stop"`
	InPlace     int `json:"in_place"`
	Destructive int `json:"destructive"`
	Ignore      int `json:"ignore"`
}
