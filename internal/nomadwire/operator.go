package nomadwire

// SchedulerConfiguration is Nomad's scheduler configuration.
type SchedulerConfiguration struct {
	SchedulerAlgorithm            string           `json:"SchedulerAlgorithm"`
	PreemptionConfig              PreemptionConfig `json:"PreemptionConfig"`
	MemoryOversubscriptionEnabled bool             `json:"MemoryOversubscriptionEnabled"`
	RejectJobRegistration         bool             `json:"RejectJobRegistration"`
	PauseEvalBroker               bool             `json:"PauseEvalBroker"`
	NodeLimitForFeasibilityChecks uint             `json:"NodeLimitForFeasibilityChecks,omitempty"`
	CreateIndex                   uint64           `json:"CreateIndex"`
	ModifyIndex                   uint64           `json:"ModifyIndex"`
}

// PreemptionConfig says which schedulers may preempt.
type PreemptionConfig struct {
	SystemSchedulerEnabled   bool `json:"SystemSchedulerEnabled"`
	SysBatchSchedulerEnabled bool `json:"SysBatchSchedulerEnabled"`
	BatchSchedulerEnabled    bool `json:"BatchSchedulerEnabled"`
	ServiceSchedulerEnabled  bool `json:"ServiceSchedulerEnabled"`
}

// SchedulerConfigurationResponse answers GET /v1/operator/scheduler/configuration.
type SchedulerConfigurationResponse struct {
	SchedulerConfig *SchedulerConfiguration `json:"SchedulerConfig"`
	Index           uint64                  `json:"Index"`
	LastContact     int64                   `json:"LastContact"`
	KnownLeader     bool                    `json:"KnownLeader"`
}

// SchedulerSetConfigurationResponse answers its PUT.
type SchedulerSetConfigurationResponse struct {
	Updated bool   `json:"Updated"`
	Index   uint64 `json:"Index"`
}
