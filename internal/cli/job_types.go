package cli

import "time"

// The Nomad API shapes the job, alloc and node commands read (the fields
// they show).

type nJob struct {
	ID, Name, Namespace, Type, Status string
	Priority                          int
	Datacenters                       []string
	Stop, Stable                      bool
	Version                           uint64
	SubmitTime                        int64
	TaskGroups                        []struct {
		Name  string
		Count int
		Tasks []struct{ Name, Driver string }
	}
}

type nRegisterResponse struct {
	EvalID   string
	Warnings string
}

type nEval struct {
	ID, Status, StatusDescription, TriggeredBy, JobID, DeploymentID string
	FailedTGAllocs                                                  map[string]*nMetric
	QueuedAllocations                                               map[string]int
}

type nMetric struct {
	NodesEvaluated, NodesFiltered, NodesExhausted, CoalescedFailures int
	ConstraintFiltered, DimensionExhausted                           map[string]int
}

type nDeployment struct {
	ID, Status, StatusDescription, JobID string
	JobVersion                           uint64
	TaskGroups                           map[string]*struct {
		AutoRevert                                                 bool
		DesiredTotal, PlacedAllocs, HealthyAllocs, UnhealthyAllocs int
		RequireProgressBy                                          time.Time
	}
}

type nAlloc struct {
	ID, EvalID, Name, NodeID, NodeName, JobID, TaskGroup string
	JobVersion                                           uint64
	DesiredStatus, DesiredDescription                    string
	ClientStatus, ClientDescription                      string
	DeploymentID                                         string
	CreateTime, ModifyTime                               int64
	TaskStates                                           map[string]*struct {
		State      string
		Failed     bool
		Restarts   uint64
		StartedAt  time.Time
		FinishedAt time.Time
		Events     []struct {
			Type           string
			Time           int64
			DisplayMessage string
		}
	}
	DeploymentStatus   *struct{ Healthy *bool }
	AllocatedResources *struct {
		Shared struct {
			Ports []struct {
				Label  string
				Value  int
				To     int
				HostIP string
			}
		}
	}
	Job *nJob
}

type nNode struct {
	ID, Name, Datacenter, NodeClass, Status, SchedulingEligibility, Address, HTTPAddr string
	Drain                                                                             bool
	Drivers                                                                           map[string]*struct{ Detected, Healthy bool }
	Attributes                                                                        map[string]string
	NodeResources                                                                     *struct {
		Cpu    struct{ CpuShares int64 }
		Memory struct{ MemoryMB int64 }
	}
}

type nJobSummary struct {
	Summary map[string]struct{ Queued, Complete, Failed, Running, Starting, Lost int }
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func ago(nanos int64, now time.Time) string {
	if nanos == 0 {
		return "-"
	}
	d := now.Sub(time.Unix(0, nanos)).Round(time.Second)
	if d < 0 {
		d = 0
	}
	return d.String() + " ago"
}
