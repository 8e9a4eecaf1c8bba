package acl_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	capi "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/api"
)

// expect is what a request without the row's permission gets.
type expect int

const (
	// denied: 403 with Consul's "Permission denied: ... lacks permission"
	// message naming the missing permission.
	denied expect = iota
	// filtered: 200 with the fixture the row names left out of the
	// answer, and X-Consul-Results-Filtered-By-ACLs set, as Consul's
	// list endpoints answer.
	filtered
	// public: no token needed (Consul and Nomad serve these to anyone).
	public
	// ownCheck: the handler refuses a token without the permission with
	// an answer of its own (ACL bootstrap done, join token missing); the
	// row's permission lets the request through.
	ownCheck
	// opDenied: 409 with the denial as the refused operation's error, as
	// Consul's /v1/txn answers.
	opDenied
)

// route is one row of the authorization matrix: a pattern as the API
// listener registers it (agent.Routes), a concrete request for it, and the
// one rule a token needs to be let through.
type route struct {
	pattern string // "METHOD /path", as agent.Routes lists it
	path    string // the request's path and query
	body    string
	rule    string // the rules of the only policy the allowed token holds
	perm    string // the permission named in the denial ("key:read")
	want    expect
	marker  string // filtered rows: what the allowed answer holds and the filtered one not
}

// Rules granting exactly one permission each.
const (
	agentRead     = `agent "node1" { policy = "read" }`
	agentWrite    = `agent "node1" { policy = "write" }`
	agentAllRead  = `agent_prefix "" { policy = "read" }`
	agentAllWrite = `agent_prefix "" { policy = "write" }`
	nodeRead      = `node "node1" { policy = "read" }`
	nodeWrite     = `node "node1" { policy = "write" }`
	nodeAllRead   = `node_prefix "" { policy = "read" }`
	nodeMXWrite   = `node "mx-node" { policy = "write" }`
	svcRead       = `service "web" { policy = "read" }`
	svcWrite      = `service "web" { policy = "write" }`
	svcAllRead    = `service_prefix "" { policy = "read" }`
	keyRead       = `key "m/k" { policy = "read" }`
	keyWrite      = `key "m/k" { policy = "write" }`
	sessRead      = `session "node1" { policy = "read" }`
	sessWrite     = `session "node1" { policy = "write" }`
	sessAllRead   = `session_prefix "" { policy = "read" }`
	opRead        = `operator = "read"`
	opWrite       = `operator = "write"`
	aclRead       = `acl = "read"`
	aclWrite      = `acl = "write"`
	queryRead     = `query "mx-q" { policy = "read" }`
	queryWrite    = `query "mx-q" { policy = "write" }`
	jobRead       = `namespace "default" { capabilities = ["read-job"] }`
	jobWrite      = `namespace "default" { capabilities = ["submit-job"] }`
	none          = ``
)

// both is a write row served on PUT and POST.
func both(pattern, path, body, rule, perm string, want expect) []route {
	return []route{
		{pattern: "PUT " + pattern, path: path, body: body, rule: rule, perm: perm, want: want},
		{pattern: "POST " + pattern, path: path, body: body, rule: rule, perm: perm, want: want},
	}
}

func r(pattern, path, body, rule, perm string, want expect) []route {
	return []route{{pattern: pattern, path: path, body: body, rule: rule, perm: perm, want: want}}
}

func f(pattern, path, rule, marker string) []route {
	return []route{{pattern: pattern, path: path, rule: rule, want: filtered, marker: marker}}
}

// matrix is every route the API listener serves with the rule it needs.
// A route the agent serves without a row here fails TestAuthorizationMatrix.
// sid are three sessions, qid the prepared query "mx-q" on service web.
func matrix(sid [3]string, qid string) []route {
	const svcBody = `{"Name":"web","ID":"web9","Port":81}`
	const regBody = `{"Node":"mx-node","Address":"127.0.0.9"}`
	rows := [][]route{
		// metrics, Netdata and the host page: the agent resource
		r("GET /v1/metrics/stream", "/v1/metrics/stream", "", agentAllRead, "agent:read", denied),
		r("POST /v1/metrics/stream", "/v1/metrics/stream", "{", agentAllWrite, "agent:write", denied),
		r("* /v1/agent/metrics", "/v1/agent/metrics", "", agentAllRead, "agent:read", denied),
		r("* /v1/metrics", "/v1/metrics", "", agentAllRead, "agent:read", denied),
		r("* /metrics", "/metrics", "", agentAllRead, "agent:read", denied),
		r("GET /api/v1/alarms", "/api/v1/alarms", "", agentAllRead, "agent:read", denied),
		r("GET /api/v1/alarm_log", "/api/v1/alarm_log", "", agentAllRead, "agent:read", denied),
		r("GET /api/v1/info", "/api/v1/info", "", agentAllRead, "agent:read", denied),
		r("GET /api/v1/charts", "/api/v1/charts", "", agentAllRead, "agent:read", denied),
		r("GET /api/v1/chart", "/api/v1/chart?chart=system.cpu", "", agentAllRead, "agent:read", denied),
		r("GET /api/v1/data", "/api/v1/data?chart=system.cpu", "", agentAllRead, "agent:read", denied),
		r("GET /api/v1/allmetrics", "/api/v1/allmetrics", "", agentAllRead, "agent:read", denied),
		r("* /host/", "/host/", "", agentAllRead, "agent:read", denied),
		// ACL system
		both("/v1/acl/bootstrap", "/v1/acl/bootstrap", "", none, "", ownCheck),
		both("/v1/acl/token", "/v1/acl/token", `{"Description":"mx"}`, aclWrite, "acl:write", denied),
		both("/v1/acl/token/{id}", "/v1/acl/token/00000000-0000-0000-0000-0000000000aa", `{"Description":"mx"}`, aclWrite, "acl:write", denied),
		both("/v1/acl/token/{id}/clone", "/v1/acl/token/00000000-0000-0000-0000-0000000000aa/clone", `{}`, aclWrite, "acl:write", denied),
		both("/v1/acl/policy", "/v1/acl/policy", `{"Name":"mx-pol","Rules":""}`, aclWrite, "acl:write", denied),
		both("/v1/acl/policy/{id}", "/v1/acl/policy/00000000-0000-0000-0000-0000000000aa", `{"Name":"mx-pol2"}`, aclWrite, "acl:write", denied),
		both("/v1/acl/role", "/v1/acl/role", `{"Name":"mx-role"}`, aclWrite, "acl:write", denied),
		both("/v1/acl/role/{id}", "/v1/acl/role/00000000-0000-0000-0000-0000000000aa", `{"Name":"mx-role2"}`, aclWrite, "acl:write", denied),
		r("GET /v1/acl/token/self", "/v1/acl/token/self", "", none, "", ownCheck),
		r("GET /v1/acl/token/{id}", "/v1/acl/token/00000000-0000-0000-0000-0000000000aa", "", aclRead, "acl:read", denied),
		r("DELETE /v1/acl/token/{id}", "/v1/acl/token/00000000-0000-0000-0000-0000000000aa", "", aclWrite, "acl:write", denied),
		r("GET /v1/acl/tokens", "/v1/acl/tokens", "", aclRead, "acl:read", denied),
		r("GET /v1/acl/policy/{id}", "/v1/acl/policy/00000000-0000-0000-0000-000000000001", "", aclRead, "acl:read", denied),
		r("GET /v1/acl/policy/name/{name}", "/v1/acl/policy/name/global-management", "", aclRead, "acl:read", denied),
		r("DELETE /v1/acl/policy/{id}", "/v1/acl/policy/00000000-0000-0000-0000-0000000000aa", "", aclWrite, "acl:write", denied),
		r("GET /v1/acl/policies", "/v1/acl/policies", "", aclRead, "acl:read", denied),
		r("GET /v1/acl/role/{id}", "/v1/acl/role/00000000-0000-0000-0000-0000000000aa", "", aclRead, "acl:read", denied),
		r("GET /v1/acl/role/name/{name}", "/v1/acl/role/name/nope", "", aclRead, "acl:read", denied),
		r("DELETE /v1/acl/role/{id}", "/v1/acl/role/00000000-0000-0000-0000-0000000000aa", "", aclWrite, "acl:write", denied),
		r("GET /v1/acl/roles", "/v1/acl/roles", "", aclRead, "acl:read", denied),
		both("/v1/acl/auth-method", "/v1/acl/auth-method", `{"Name":"mx-am","Type":"jwt","Config":{"JWTValidationPubKeys":["x"]}}`, aclWrite, "acl:write", denied),
		both("/v1/acl/auth-method/{name}", "/v1/acl/auth-method/mx-am", `{"Name":"mx-am","Type":"jwt"}`, aclWrite, "acl:write", denied),
		both("/v1/acl/binding-rule", "/v1/acl/binding-rule", `{"AuthMethod":"nope","BindType":"service","BindName":"x"}`, aclWrite, "acl:write", denied),
		both("/v1/acl/binding-rule/{id}", "/v1/acl/binding-rule/00000000-0000-0000-0000-0000000000aa", `{"AuthMethod":"nope","BindType":"service","BindName":"x"}`, aclWrite, "acl:write", denied),
		both("/v1/acl/login", "/v1/acl/login", `{"AuthMethod":"nope","BearerToken":"x"}`, none, "", ownCheck),
		both("/v1/acl/logout", "/v1/acl/logout", "", none, "", ownCheck),
		r("GET /v1/acl/auth-method/{name}", "/v1/acl/auth-method/nope", "", aclRead, "acl:read", denied),
		r("DELETE /v1/acl/auth-method/{name}", "/v1/acl/auth-method/nope", "", aclWrite, "acl:write", denied),
		r("GET /v1/acl/auth-methods", "/v1/acl/auth-methods", "", aclRead, "acl:read", denied),
		r("GET /v1/acl/binding-rule/{id}", "/v1/acl/binding-rule/00000000-0000-0000-0000-0000000000aa", "", aclRead, "acl:read", denied),
		r("DELETE /v1/acl/binding-rule/{id}", "/v1/acl/binding-rule/00000000-0000-0000-0000-0000000000aa", "", aclWrite, "acl:write", denied),
		r("GET /v1/acl/binding-rules", "/v1/acl/binding-rules", "", aclRead, "acl:read", denied),
		// operator: raft, snapshot, autopilot, join tokens, import
		r("GET /v1/operator/raft/configuration", "/v1/operator/raft/configuration", "", opRead, "operator:read", denied),
		r("DELETE /v1/operator/raft/peer", "/v1/operator/raft/peer?id=ghost", "", opWrite, "operator:write", denied),
		r("* /v1/operator/raft/", "/v1/operator/raft/nothing", "", opRead, "operator:read", denied),
		r("* /v1/snapshot", "/v1/snapshot", "", opWrite, "operator:read", denied),
		r("GET /v1/operator/autopilot/configuration", "/v1/operator/autopilot/configuration", "", opRead, "operator:read", denied),
		r("PUT /v1/operator/autopilot/configuration", "/v1/operator/autopilot/configuration", `{"CleanupDeadServers":false}`, opWrite, "operator:write", denied),
		r("GET /v1/operator/autopilot/health", "/v1/operator/autopilot/health", "", opRead, "operator:read", denied),
		r("GET /v1/operator/autopilot/state", "/v1/operator/autopilot/state", "", opRead, "operator:read", denied),
		r("* /v1/operator/autopilot/", "/v1/operator/autopilot/nothing", "", opRead, "operator:read", denied),
		r("GET /v1/operator/join-tokens", "/v1/operator/join-tokens", "", opRead, "operator:read", denied),
		both("/v1/operator/join-tokens", "/v1/operator/join-tokens", `{"TTL":"1m"}`, opWrite, "operator:write", denied),
		r("DELETE /v1/operator/join-tokens/{id}", "/v1/operator/join-tokens/nope", "", opWrite, "operator:write", denied),
		r("* /v1/operator/join-tokens/", "/v1/operator/join-tokens/x/y", "", opRead, "operator:read", denied),
		r("* /v1/import/apply", "/v1/import/apply", "", opRead, "operator:read", denied),
		// connect
		r("GET /v1/agent/connect/ca/roots", "/v1/agent/connect/ca/roots", "", none, "", public),
		r("GET /v1/connect/ca/roots", "/v1/connect/ca/roots", "", none, "", public),
		r("GET /v1/agent/connect/ca/leaf/{service}", "/v1/agent/connect/ca/leaf/web", "", svcWrite, "service:write", denied),
		r("GET /v1/connect/ca/configuration", "/v1/connect/ca/configuration", "", opRead, "operator:read", denied),
		r("PUT /v1/connect/ca/configuration", "/v1/connect/ca/configuration", `{"Provider":"consul","Config":{}}`, opWrite, "operator:write", denied),
		both("/v1/agent/connect/authorize", "/v1/agent/connect/authorize", `{"Target":"web","ClientCertURI":"spiffe://x.consul/ns/default/dc/dc1/svc/api"}`, svcWrite, "service:write", denied),
		// orbit keeps no intentions: the list is always empty
		r("GET /v1/connect/intentions", "/v1/connect/intentions", "", none, "", public),
		r("GET /v1/connect/intentions/check", "/v1/connect/intentions/check?source=api&destination=web", "", svcRead, "service:read", denied),
		// the UI shell needs no token; its data comes through the API
		r("* /ui", "/ui/", "", none, "", public),
		// node certificates and the store join check their own credentials
		r("* /v1/orbit/pki/node-cert", "/v1/orbit/pki/node-cert", `{"Node":"mx-node","CSR":"x"}`, nodeMXWrite, "node:write", ownCheck),
		r("* /v1/operator/store/join", "/v1/operator/store/join", `{}`, opWrite, "operator:write", ownCheck),
		// workload identity keys: public, as Nomad serves them
		r("GET /.well-known/jwks.json", "/.well-known/jwks.json", "", none, "", public),
		r("GET /.well-known/openid-configuration", "/.well-known/openid-configuration", "", none, "", public),
		// edge API
		r("GET /v1/edge/routers", "/v1/edge/routers", "", opRead, "operator:read", denied),
		r("GET /v1/edge/services", "/v1/edge/services", "", opRead, "operator:read", denied),
		r("GET /v1/edge/middlewares", "/v1/edge/middlewares", "", opRead, "operator:read", denied),
		r("GET /v1/edge/certs", "/v1/edge/certs", "", opRead, "operator:read", denied),
		r("GET /v1/edge/routers/{name}", "/v1/edge/routers/nope", "", opRead, "operator:read", denied),
		r("GET /v1/edge/services/{name}", "/v1/edge/services/nope", "", opRead, "operator:read", denied),
		r("GET /v1/edge/middlewares/{name}", "/v1/edge/middlewares/nope", "", opRead, "operator:read", denied),
		// zones API
		r("GET /v1/dns/info", "/v1/dns/info", "", opRead, "dns:read", denied),
		r("GET /v1/dns/zones", "/v1/dns/zones", "", opRead, "dns:read", denied),
		r("PUT /v1/dns/zones/{zone}", "/v1/dns/zones/mx.test.", `{}`, opWrite, "dns:write", denied),
		r("PATCH /v1/dns/zones/{zone}", "/v1/dns/zones/nope.test.", `{}`, opWrite, "dns:write", denied),
		r("GET /v1/dns/zones/{zone}", "/v1/dns/zones/nope.test.", "", opRead, "dns:read", denied),
		r("DELETE /v1/dns/zones/{zone}", "/v1/dns/zones/nope.test.", "", opWrite, "dns:write", denied),
		r("GET /v1/dns/zones/{zone}/records", "/v1/dns/zones/nope.test./records", "", opRead, "dns:read", denied),
		r("PUT /v1/dns/zones/{zone}/records", "/v1/dns/zones/nope.test./records", `[]`, opWrite, "dns:write", denied),
		r("DELETE /v1/dns/zones/{zone}/records/{name}/{type}", "/v1/dns/zones/nope.test./records/a.nope.test./A", "", opWrite, "dns:write", denied),
		r("POST /v1/dns/zones/{zone}/import", "/v1/dns/zones/nope.test./import", "", opWrite, "dns:write", denied),
		r("GET /v1/dns/zones/{zone}/export", "/v1/dns/zones/nope.test./export", "", opRead, "dns:read", denied),
		r("POST /v1/dns/zones/{zone}/secure", "/v1/dns/zones/nope.test./secure", "", opWrite, "dns:write", denied),
		r("GET /v1/dns/zones/{zone}/dnssec", "/v1/dns/zones/nope.test./dnssec", "", opRead, "dns:read", denied),
		// Nomad API: the job resource of the default namespace
		r("GET /v1/jobs", "/v1/jobs", "", jobRead, "job:read", denied),
		both("/v1/jobs", "/v1/jobs", `{}`, jobWrite, "job:write", denied),
		both("/v1/jobs/parse", "/v1/jobs/parse", `{"JobHCL":""}`, jobWrite, "job:write", denied),
		r("GET /v1/job/{id}", "/v1/job/nope", "", jobRead, "job:read", denied),
		both("/v1/job/{id}", "/v1/job/nope", `{}`, jobWrite, "job:write", denied),
		r("DELETE /v1/job/{id}", "/v1/job/nope", "", jobWrite, "job:write", denied),
		r("GET /v1/job/{id}/allocations", "/v1/job/nope/allocations", "", jobRead, "job:read", denied),
		r("GET /v1/job/{id}/evaluations", "/v1/job/nope/evaluations", "", jobRead, "job:read", denied),
		r("GET /v1/job/{id}/deployments", "/v1/job/nope/deployments", "", jobRead, "job:read", denied),
		r("GET /v1/job/{id}/deployment", "/v1/job/nope/deployment", "", jobRead, "job:read", denied),
		r("GET /v1/job/{id}/versions", "/v1/job/nope/versions", "", jobRead, "job:read", denied),
		r("GET /v1/job/{id}/summary", "/v1/job/nope/summary", "", jobRead, "job:read", denied),
		both("/v1/job/{id}/revert", "/v1/job/nope/revert", `{}`, jobWrite, "job:write", denied),
		both("/v1/job/{id}/plan", "/v1/job/nope/plan", `{}`, jobWrite, "job:write", denied),
		r("GET /v1/allocations", "/v1/allocations", "", jobRead, "job:read", denied),
		r("GET /v1/allocation/{id}", "/v1/allocation/nope", "", jobRead, "job:read", denied),
		r("GET /v1/evaluations", "/v1/evaluations", "", jobRead, "job:read", denied),
		r("GET /v1/evaluation/{id}", "/v1/evaluation/nope", "", jobRead, "job:read", denied),
		r("GET /v1/evaluation/{id}/allocations", "/v1/evaluation/nope/allocations", "", jobRead, "job:read", denied),
		r("GET /v1/deployments", "/v1/deployments", "", jobRead, "job:read", denied),
		r("GET /v1/deployment/{id}", "/v1/deployment/nope", "", jobRead, "job:read", denied),
		r("GET /v1/deployment/allocations/{id}", "/v1/deployment/allocations/nope", "", jobRead, "job:read", denied),
		both("/v1/job/{id}/evaluate", "/v1/job/nope/evaluate", `{}`, jobWrite, "job:write", denied),
		r("GET /v1/job/{id}/submission", "/v1/job/nope/submission", "", jobRead, "job:read", denied),
		r("GET /v1/job/{id}/scale", "/v1/job/nope/scale", "", jobRead, "job:read", denied),
		both("/v1/job/{id}/scale", "/v1/job/nope/scale", `{}`, jobWrite, "job:write", denied),
		r("GET /v1/evaluations/count", "/v1/evaluations/count", "", jobRead, "job:read", denied),
		both("/v1/job/{id}/periodic/force", "/v1/job/nope/periodic/force", "", jobWrite, "job:write", denied),
		both("/v1/allocation/{id}/stop", "/v1/allocation/nope/stop", "", jobWrite, "job:write", denied),
		r("DELETE /v1/evaluations", "/v1/evaluations", `{"EvalIDs":["nope"]}`, jobWrite, "job:write", denied),
		both("/v1/validate/job", "/v1/validate/job", `{}`, jobWrite, "job:write", denied),
		both("/v1/deployment/promote/{id}", "/v1/deployment/promote/nope", `{}`, jobWrite, "job:write", denied),
		r("GET /v1/nodes", "/v1/nodes", "", jobRead, "job:read", denied),
		r("GET /v1/node/{id}", "/v1/node/nope", "", jobRead, "job:read", denied),
		r("GET /v1/node/{id}/allocations", "/v1/node/nope/allocations", "", jobRead, "job:read", denied),
		both("/v1/node/{id}/eligibility", "/v1/node/nope/eligibility", `{"Eligibility":"eligible"}`, jobWrite, "job:write", denied),
		both("/v1/node/{id}/drain", "/v1/node/nope/drain", `{}`, jobWrite, "job:write", denied),
		both("/v1/node/{id}/purge", "/v1/node/nope/purge", "", jobWrite, "job:write", denied),
		both("/v1/node/{id}/evaluate", "/v1/node/nope/evaluate", "", jobWrite, "job:write", denied),
		// Nomad's scheduler configuration: the operator rule
		r("GET /v1/operator/scheduler/configuration", "/v1/operator/scheduler/configuration", "", opRead, "operator:read", denied),
		both("/v1/operator/scheduler/configuration", "/v1/operator/scheduler/configuration", `{`, opWrite, "operator:write", denied),
		r("GET /v1/client/fs/logs/{alloc}", "/v1/client/fs/logs/nope?task=x&type=stdout", "", jobRead, "job:read", denied),
		// Consul agent
		r("GET /v1/agent/self", "/v1/agent/self", "", agentRead, "agent:read", denied),
		r("GET /v1/agent/members", "/v1/agent/members", "", nodeAllRead, "node:read", denied),
		r("GET /v1/agent/services", "/v1/agent/services", "", svcAllRead, "service:read", denied),
		r("GET /v1/agent/service/{id}", "/v1/agent/service/web1", "", `service "web1" { policy = "read" }`, "service:read", denied),
		r("GET /v1/agent/checks", "/v1/agent/checks", "", nodeRead, "node:read", denied),
		r("GET /v1/agent/health/service/name/{name}", "/v1/agent/health/service/name/web", "", svcRead, "service:read", denied),
		r("GET /v1/agent/health/service/id/{id}", "/v1/agent/health/service/id/web1", "", svcRead, "service:read", denied),
		both("/v1/agent/service/register", "/v1/agent/service/register", svcBody, svcWrite, "service:write", denied),
		both("/v1/agent/service/deregister/{id}", "/v1/agent/service/deregister/web9", "", `service_prefix "web" { policy = "write" }`, "service:write", denied),
		both("/v1/agent/check/register", "/v1/agent/check/register", `{"Name":"mx","CheckID":"mx","TTL":"30s"}`, nodeWrite, "node:write", denied),
		r("PUT /v1/agent/check/deregister/{id}", "/v1/agent/check/deregister/chk2", "", svcWrite, "service:write", denied),
		r("POST /v1/agent/check/deregister/{id}", "/v1/agent/check/deregister/mx", "", nodeWrite, "node:write", denied),
		both("/v1/agent/check/pass/{id}", "/v1/agent/check/pass/chk1", "", svcWrite, "service:write", denied),
		both("/v1/agent/check/warn/{id}", "/v1/agent/check/warn/chk1", "", svcWrite, "service:write", denied),
		both("/v1/agent/check/fail/{id}", "/v1/agent/check/fail/chk1", "", svcWrite, "service:write", denied),
		both("/v1/agent/check/update/{id}", "/v1/agent/check/update/chk1", `{"Status":"passing"}`, svcWrite, "service:write", denied),
		r("PUT /v1/agent/service/maintenance/{id}", "/v1/agent/service/maintenance/web1?enable=false", "", svcWrite, "service:write", denied),
		r("PUT /v1/agent/maintenance", "/v1/agent/maintenance?enable=false", "", nodeWrite, "node:write", denied),
		r("GET /v1/agent/host", "/v1/agent/host", "", opRead, "operator:read", denied),
		r("PUT /v1/agent/join/{address}", "/v1/agent/join/127.0.0.1:1", "", agentWrite, "agent:write", denied),
		r("PUT /v1/agent/force-leave/{node}", "/v1/agent/force-leave/ghost", "", opWrite, "operator:write", denied),
		// the allowed leave is refused by the store (the dev agent is its
		// only voter), so the agent stays up for the rows after it
		r("* /v1/agent/leave", "/v1/agent/leave", "{}", agentWrite, "agent:write", denied),
		r("PUT /v1/agent/token/{type}", "/v1/agent/token/default", `{"Token":""}`, agentWrite, "agent:write", denied),
		// a client agent's store endpoints: a join token or node:write
		r("* /v1/operator/store/client-join", "/v1/operator/store/client-join?node=node1", "", nodeWrite, "node:write", ownCheck),
		// coordinates and events: lists filter per node and per event
		// (nothing stored here to filter), single reads and writes refuse
		r("GET /v1/coordinate/datacenters", "/v1/coordinate/datacenters", "", none, "", public),
		r("GET /v1/coordinate/nodes", "/v1/coordinate/nodes", "", none, "", public),
		r("GET /v1/coordinate/node/{node}", "/v1/coordinate/node/node1", "", nodeRead, "node:read", denied),
		r("PUT /v1/coordinate/update", "/v1/coordinate/update", `{"Node":"node1","Coord":{"Vec":[0,0,0,0,0,0,0,0],"Error":1.5,"Adjustment":0,"Height":0.00001}}`, nodeWrite, "node:write", denied),
		r("PUT /v1/event/fire/{name}", "/v1/event/fire/mx", "", `event "mx" { policy = "write" }`, "event:write", denied),
		r("GET /v1/event/list", "/v1/event/list", "", none, "", public),
		// catalog
		both("/v1/catalog/register", "/v1/catalog/register", regBody, nodeMXWrite, "node:write", denied),
		both("/v1/catalog/deregister", "/v1/catalog/deregister", `{"Node":"mx-node"}`, nodeMXWrite, "node:write", denied),
		r("GET /v1/catalog/datacenters", "/v1/catalog/datacenters", "", none, "", public),
		f("GET /v1/catalog/nodes", "/v1/catalog/nodes", nodeRead, "node1"),
		r("GET /v1/catalog/node/{node}", "/v1/catalog/node/node1", "", nodeRead, "node:read", denied),
		r("GET /v1/catalog/node-services/{node}", "/v1/catalog/node-services/node1", "", nodeRead, "node:read", denied),
		f("GET /v1/catalog/services", "/v1/catalog/services", svcRead, "web"),
		r("GET /v1/catalog/service/{name}", "/v1/catalog/service/web", "", svcRead, "service:read", denied),
		r("GET /v1/catalog/connect/{name}", "/v1/catalog/connect/web", "", svcRead, "service:read", denied),
		r("GET /v1/catalog/gateway-services/{gateway}", "/v1/catalog/gateway-services/web", "", svcRead, "service:read", denied),
		// health
		r("GET /v1/health/service/{name}", "/v1/health/service/web", "", svcRead, "service:read", denied),
		r("GET /v1/health/connect/{name}", "/v1/health/connect/web", "", svcRead, "service:read", denied),
		r("GET /v1/health/checks/{name}", "/v1/health/checks/web", "", svcRead, "service:read", denied),
		r("GET /v1/health/node/{node}", "/v1/health/node/node1", "", nodeRead, "node:read", denied),
		r("GET /v1/health/state/{state}", "/v1/health/state/any", "", nodeAllRead, "node:read", denied),
		// txn: each operation asks its own rule and a refusal
		// is that operation's error (409), as Consul answers
		r("PUT /v1/txn", "/v1/txn", `[{"KV":{"Verb":"get","Key":"m/k"}}]`, keyRead, "key:read", opDenied),
		// kv
		r("GET /v1/kv/{key...}", "/v1/kv/m/k", "", keyRead, "key:read", denied),
		r("PUT /v1/kv/{key...}", "/v1/kv/m/k", "v", keyWrite, "key:write", denied),
		r("POST /v1/kv/{key...}", "/v1/kv/m/k", "v", keyWrite, "key:write", denied),
		r("DELETE /v1/kv/{key...}", "/v1/kv/m/k", "", keyWrite, "key:write", denied),
		// session
		both("/v1/session/create", "/v1/session/create", `{"Node":"node1","TTL":"30s"}`, sessWrite, "session:write", denied),
		r("PUT /v1/session/destroy/{id}", "/v1/session/destroy/"+sid[1], "", sessWrite, "session:write", denied),
		r("POST /v1/session/destroy/{id}", "/v1/session/destroy/"+sid[2], "", sessWrite, "session:write", denied),
		both("/v1/session/renew/{id}", "/v1/session/renew/"+sid[0], "", sessWrite, "session:write", denied),
		r("GET /v1/session/info/{id}", "/v1/session/info/"+sid[0], "", sessAllRead, "session:read", denied),
		r("GET /v1/session/node/{node}", "/v1/session/node/node1", "", sessRead, "session:read", denied),
		r("GET /v1/session/list", "/v1/session/list", "", sessAllRead, "session:read", denied),
		// prepared queries: query rules on the query's name; executing
		// reads the service (the delete last: it removes the fixture)
		f("GET /v1/query", "/v1/query", queryRead, "mx-q"),
		r("POST /v1/query", "/v1/query", `{"Name":"mx-new","Service":{"Service":"web"}}`, `query "mx-new" { policy = "write" }`, "query:write", denied),
		r("GET /v1/query/{id}", "/v1/query/"+qid, "", queryRead, "query:read", denied),
		r("PUT /v1/query/{id}", "/v1/query/"+qid, `{"Name":"mx-q","Service":{"Service":"web"}}`, queryWrite, "query:write", denied),
		r("GET /v1/query/{id}/execute", "/v1/query/"+qid+"/execute", "", svcRead, "service:read", denied),
		r("GET /v1/query/{id}/explain", "/v1/query/mx-q/explain", "", queryRead, "query:read", denied),
		r("DELETE /v1/query/{id}", "/v1/query/"+qid, "", queryWrite, "query:write", denied),
		// status
		r("GET /v1/status/leader", "/v1/status/leader", "", opRead, "operator:read", denied),
		r("GET /v1/status/peers", "/v1/status/peers", "", opRead, "operator:read", denied),
		// the browser's / goes to the UI
		r("GET /{$}", "/", "", none, "", public),
	}
	return slices.Concat(rows...)
}

// TestAuthorizationMatrix drives every route of one agent with ACLs on
// (default deny) over HTTP three times: with a token holding exactly the
// row's rule (let through), with a token holding an unrelated rule and
// with no token (the anonymous token): both refused with Consul's 403
// "Permission denied" naming the permission, or, for Consul's list
// endpoints, answered with the item filtered out. The table is checked
// against the routes the agent registers, so a new route without a row
// fails here.
func TestAuthorizationMatrix(t *testing.T) {
	a := aclAgent(t)
	root := consulClient(t, a.Addr, rootToken)
	// fixtures: a service with a check, a key, a session
	if err := root.Agent().ServiceRegister(&capi.AgentServiceRegistration{Name: "web", ID: "web1", Port: 80, Address: "127.0.0.7"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"chk1", "chk2"} {
		if err := root.Agent().CheckRegister(&capi.AgentCheckRegistration{ID: id, Name: id, ServiceID: "web1",
			AgentServiceCheck: capi.AgentServiceCheck{TTL: "10m"}}); err != nil {
			t.Fatal(err)
		}
		if err := root.Agent().PassTTL(id, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := root.KV().Put(&capi.KVPair{Key: "m/k", Value: []byte("v")}, nil); err != nil {
		t.Fatal(err)
	}
	var sid [3]string
	for i := range sid {
		id, _, err := root.Session().Create(&capi.SessionEntry{Node: "node1", TTL: "10m"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		sid[i] = id
	}
	qid, _, err := root.PreparedQuery().Create(&capi.PreparedQueryDefinition{Name: "mx-q", Service: capi.ServiceQuery{Service: "web"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows := matrix(sid, qid)

	t.Run("complete", func(t *testing.T) {
		served := a.Routes()
		have := map[string]bool{}
		for _, row := range rows {
			if have[row.pattern] {
				t.Errorf("route %q has two rows", row.pattern)
			}
			have[row.pattern] = true
		}
		for _, p := range served {
			if !have[p] {
				t.Errorf("the agent serves %q but the matrix in test/acl/matrix_test.go has no row for it: add one with the rule it needs", p)
			}
			delete(have, p)
		}
		for p := range have {
			t.Errorf("the matrix has a row for %q, which the agent does not serve", p)
		}
	})

	tokens := map[string]string{} // rules → secret
	token := func(t *testing.T, rules string) string {
		if s, ok := tokens[rules]; ok {
			return s
		}
		pol, _, err := root.ACL().PolicyCreate(&capi.ACLPolicy{Name: fmt.Sprintf("mx-%d", len(tokens)), Rules: rules}, nil)
		if err != nil {
			t.Fatalf("policy %q: %v", rules, err)
		}
		tok, _, err := root.ACL().TokenCreate(&capi.ACLToken{Policies: []*capi.ACLTokenPolicyLink{{ID: pol.ID}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		tokens[rules] = tok.SecretID
		return tok.SecretID
	}
	unrelated := token(t, `key "unrelated" { policy = "read" }`)

	for _, row := range rows {
		t.Run(row.pattern, func(t *testing.T) {
			method, _, _ := strings.Cut(row.pattern, " ")
			if method == "*" {
				method = http.MethodGet
				if row.body != "" {
					method = http.MethodPut
				}
			}
			do := func(tok string) (int, http.Header, string) {
				req, err := http.NewRequest(method, a.URL+row.path, strings.NewReader(row.body))
				if err != nil {
					t.Fatal(err)
				}
				if tok != "" {
					req.Header.Set("X-Consul-Token", tok)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatalf("%s %s: %v", method, row.path, err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
				return resp.StatusCode, resp.Header, string(b)
			}
			isDenial := func(code int, body string) bool {
				return code == http.StatusForbidden && strings.HasPrefix(body, "Permission denied")
			}
			if row.want == public {
				if code, _, body := do(""); code >= 500 || isDenial(code, body) {
					t.Fatalf("anonymous: %d %s", code, body)
				}
				return
			}
			// The refusals first: an allowed write may remove the
			// object a later refusal would otherwise be asked about.
			switch row.want {
			case ownCheck:
				for _, tok := range []string{"", unrelated} {
					if code, _, body := do(tok); code < 400 && row.rule != none {
						t.Errorf("token %q without %s: %d %s", tok, row.rule, code, body)
					}
				}
				if row.rule == none {
					return // the handler's own credentials (login, bootstrap) are tested elsewhere
				}
			case filtered:
				for _, tok := range []string{"", unrelated} {
					code, hdr, body := do(tok)
					if code != http.StatusOK || strings.Contains(body, `"`+row.marker+`"`) || hdr.Get(api.FilteredHeader) != "true" {
						t.Errorf("token %q: want 200 without %q and %s: true; got %d %v %s", tok, row.marker, api.FilteredHeader, code, hdr.Get(api.FilteredHeader), body)
					}
				}
			case opDenied:
				for _, tok := range []string{"", unrelated} {
					code, _, body := do(tok)
					if code != http.StatusConflict || !strings.Contains(body, "Permission denied") || !strings.Contains(body, "lacks permission '"+row.perm+"'") {
						t.Errorf("token %q: want 409 with the denial of %s, got %d %s", tok, row.perm, code, body)
					}
				}
			case denied:
				code, _, body := do("")
				want := "Permission denied: anonymous token lacks permission '" + row.perm + "'"
				if code != http.StatusForbidden || !strings.HasPrefix(body, want) {
					t.Errorf("anonymous: want 403 %q, got %d %s", want, code, body)
				}
				code, _, body = do(unrelated)
				want = "Permission denied: token with AccessorID '"
				if code != http.StatusForbidden || !strings.HasPrefix(body, want) || !strings.Contains(body, "lacks permission '"+row.perm+"'") {
					t.Errorf("unrelated token: want 403 %q…%s, got %d %s", want, row.perm, code, body)
				}
			}
			allowed := token(t, row.rule)
			code, _, body := do(allowed)
			t.Logf("allowed (%s): %d %.200s", row.rule, code, body)
			if code >= 500 || isDenial(code, body) || code == http.StatusUnauthorized {
				t.Errorf("token with %s: %d %s", row.rule, code, body)
			}
			if row.want == filtered && !strings.Contains(body, `"`+row.marker+`"`) {
				t.Errorf("token with %s: %q missing: %s", row.rule, row.marker, body)
			}
		})
	}
}
