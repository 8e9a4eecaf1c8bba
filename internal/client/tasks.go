package client

import (
	"sort"

	"github.com/orbit/orbit/internal/driver"
)

// RunningTask is a task this node runs, with the driver's handle that
// places it (its process and cgroup, or its container).
type RunningTask struct {
	AllocID, Job, Group, Task string
	Handle                    driver.Handle
}

// RunningTasks lists the tasks this client has started and not yet
// cleared, by allocation then task (for the metrics collector).
func (c *Client) RunningTasks() []RunningTask {
	c.mu.Lock()
	runners := make([]*allocRunner, 0, len(c.runners))
	for _, ar := range c.runners {
		runners = append(runners, ar)
	}
	c.mu.Unlock()
	var out []RunningTask
	for _, ar := range runners {
		ar.mu.Lock()
		if ar.alloc != nil && ar.st != nil {
			for task, h := range ar.st.Handles {
				if h != nil {
					out = append(out, RunningTask{AllocID: ar.id, Job: ar.alloc.JobID, Group: ar.alloc.TaskGroup, Task: task, Handle: *h})
				}
			}
		}
		ar.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].AllocID != out[j].AllocID {
			return out[i].AllocID < out[j].AllocID
		}
		return out[i].Task < out[j].Task
	})
	return out
}
