package acl

// Nomad namespace capabilities, as Nomad's ACL policy specification names
// them. A request on the Nomad API needs one (Rule{Resource: Namespace,
// Segment: ns, Access: CapSubmitJob}).
const (
	CapDeny                 Access = "deny"
	CapListJobs             Access = "list-jobs"
	CapParseJob             Access = "parse-job"
	CapReadJob              Access = "read-job"
	CapSubmitJob            Access = "submit-job"
	CapDispatchJob          Access = "dispatch-job"
	CapReadLogs             Access = "read-logs"
	CapReadFS               Access = "read-fs"
	CapAllocExec            Access = "alloc-exec"
	CapAllocNodeExec        Access = "alloc-node-exec"
	CapAllocLifecycle       Access = "alloc-lifecycle"
	CapSentinelOverride     Access = "sentinel-override"
	CapCSIRegisterPlugin    Access = "csi-register-plugin"
	CapCSIWriteVolume       Access = "csi-write-volume"
	CapCSIReadVolume        Access = "csi-read-volume"
	CapCSIListVolume        Access = "csi-list-volume"
	CapCSIMountVolume       Access = "csi-mount-volume"
	CapHostVolumeCreate     Access = "host-volume-create"
	CapHostVolumeRegister   Access = "host-volume-register"
	CapHostVolumeRead       Access = "host-volume-read"
	CapHostVolumeWrite      Access = "host-volume-write"
	CapHostVolumeDelete     Access = "host-volume-delete"
	CapListScalingPolicies  Access = "list-scaling-policies"
	CapReadScalingPolicy    Access = "read-scaling-policy"
	CapReadJobScaling       Access = "read-job-scaling"
	CapScaleJob             Access = "scale-job"
	CapSubmitRecommendation Access = "submit-recommendation"

	// Host volume capabilities.
	CapMountReadOnly  Access = "mount-readonly"
	CapMountReadWrite Access = "mount-readwrite"
)

var namespaceCapabilities = []string{
	"deny", "list-jobs", "parse-job", "read-job", "submit-job", "dispatch-job", "read-logs", "read-fs",
	"alloc-exec", "alloc-node-exec", "alloc-lifecycle", "sentinel-override", "csi-register-plugin",
	"csi-write-volume", "csi-read-volume", "csi-list-volume", "csi-mount-volume", "host-volume-create",
	"host-volume-register", "host-volume-read", "host-volume-write", "host-volume-delete",
	"list-scaling-policies", "read-scaling-policy", "read-job-scaling", "scale-job", "submit-recommendation",
	// Nomad 1.10's finer job capabilities.
	"register-job", "revert-job", "deregister-job", "purge-job", "evaluate-job", "plan-job",
	"tag-job-version", "stable-job", "fail-deployment", "pause-deployment", "promote-deployment",
	"unblock-deployment", "cancel-deployment", "set-alloc-health-deployment", "gc-allocation",
	"pause-allocation", "force-periodic-job", "delete-service-registration",
}

var hostVolumeCapabilities = []string{"deny", "mount-readonly", "mount-readwrite"}

// namespaceRead is what `policy = "read"` grants in a namespace.
var namespaceRead = []Access{CapListJobs, CapParseJob, CapReadJob, CapCSIListVolume, CapCSIReadVolume,
	CapReadJobScaling, CapListScalingPolicies, CapReadScalingPolicy, CapHostVolumeRead}

// namespaceWrite is what `policy = "write"` grants: read's and these.
var namespaceWrite = append(append([]Access{}, namespaceRead...), CapScaleJob, CapSubmitJob, CapDispatchJob,
	CapReadLogs, CapReadFS, CapAllocExec, CapAllocLifecycle, CapCSIMountVolume, CapCSIWriteVolume,
	CapSubmitRecommendation, CapHostVolumeCreate)

// namespaceScale is what `policy = "scale"` grants.
var namespaceScale = []Access{CapListScalingPolicies, CapReadScalingPolicy, CapReadJobScaling, CapScaleJob,
	CapReadJob, CapSubmitRecommendation}

// expand returns the capabilities a namespace or host_volume policy grants.
func expand(resource string, d Disposition) []Access {
	if resource == HostVolume {
		switch d {
		case PolicyDeny:
			return []Access{CapDeny}
		case PolicyRead:
			return []Access{CapMountReadOnly}
		case PolicyWrite:
			return []Access{CapMountReadOnly, CapMountReadWrite}
		}
		return nil
	}
	switch d {
	case PolicyDeny:
		return []Access{CapDeny}
	case PolicyRead:
		return namespaceRead
	case PolicyWrite:
		return namespaceWrite
	case PolicyScale:
		return namespaceScale
	}
	return nil
}

// implied adds the capabilities a fine-grained one implies, as Nomad does
// for host volumes.
func implied(c Access) []Access {
	switch c {
	case CapHostVolumeWrite:
		return []Access{CapHostVolumeRegister, CapHostVolumeCreate, CapHostVolumeDelete, CapHostVolumeRead}
	case CapHostVolumeRegister:
		return []Access{CapHostVolumeCreate, CapHostVolumeRead}
	case CapHostVolumeCreate:
		return []Access{CapHostVolumeRead}
	}
	return nil
}
