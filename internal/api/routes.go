package api

import (
	"net/http"

	"github.com/orbit/orbit/internal/httpkit"
)

func (s *Server) routes() {
	write := func(path string, h httpkit.HandlerFunc) {
		s.handle("PUT "+path, h)
		s.handle("POST "+path, h)
	}
	// agent
	s.handle("GET /v1/agent/self", s.agentSelf)
	s.handle("GET /v1/agent/members", s.agentMembers)
	s.handle("GET /v1/agent/services", s.agentServices)
	s.handle("GET /v1/agent/service/{id}", s.agentService)
	s.handle("GET /v1/agent/checks", s.agentChecks)
	s.handle("GET /v1/agent/health/service/name/{name}", s.agentHealthByName)
	s.handle("GET /v1/agent/health/service/id/{id}", s.agentHealthByID)
	write("/v1/agent/service/register", s.agentServiceRegister)
	write("/v1/agent/service/deregister/{id}", s.agentServiceDeregister)
	write("/v1/agent/check/register", s.agentCheckRegister)
	write("/v1/agent/check/deregister/{id}", s.agentCheckDeregister)
	write("/v1/agent/check/pass/{id}", s.agentCheckTTL("passing"))
	write("/v1/agent/check/warn/{id}", s.agentCheckTTL("warning"))
	write("/v1/agent/check/fail/{id}", s.agentCheckTTL("critical"))
	write("/v1/agent/check/update/{id}", s.agentCheckUpdate)
	s.handle("PUT /v1/agent/service/maintenance/{id}", s.agentServiceMaintenance)
	s.handle("PUT /v1/agent/maintenance", s.agentNodeMaintenance)
	s.handle("GET /v1/agent/host", s.agentHost)
	s.handle("PUT /v1/agent/join/{address}", s.agentJoin)
	s.handle("PUT /v1/agent/force-leave/{node}", s.agentForceLeave)
	s.handle("PUT /v1/agent/token/{type}", s.agentToken)
	// catalog
	write("/v1/catalog/register", s.catalogRegister)
	write("/v1/catalog/deregister", s.catalogDeregister)
	s.handle("GET /v1/catalog/datacenters", s.catalogDatacenters)
	s.handle("GET /v1/catalog/nodes", s.catalogNodes)
	s.handle("GET /v1/catalog/node/{node}", s.catalogNode)
	s.handle("GET /v1/catalog/node-services/{node}", s.catalogNodeServices)
	s.handle("GET /v1/catalog/services", s.catalogServices)
	s.handle("GET /v1/catalog/service/{name}", s.catalogService)
	s.handle("GET /v1/catalog/connect/{name}", s.catalogConnect)
	s.handle("GET /v1/catalog/gateway-services/{gateway}", s.catalogGatewayServices)
	// health
	s.handle("GET /v1/health/service/{name}", s.healthService)
	s.handle("GET /v1/health/connect/{name}", s.healthConnect)
	s.handle("GET /v1/health/checks/{name}", s.healthChecks)
	s.handle("GET /v1/health/node/{node}", s.healthNode)
	s.handle("GET /v1/health/state/{state}", s.healthState)
	// kv
	s.handle("GET /v1/kv/{key...}", s.kvGet)
	s.handle("PUT /v1/kv/{key...}", s.kvPut)
	s.handle("POST /v1/kv/{key...}", s.kvPut)
	s.handle("DELETE /v1/kv/{key...}", s.kvDelete)
	// session
	write("/v1/session/create", s.sessionCreate)
	write("/v1/session/destroy/{id}", s.sessionDestroy)
	write("/v1/session/renew/{id}", s.sessionRenew)
	s.handle("GET /v1/session/info/{id}", s.sessionInfo)
	s.handle("GET /v1/session/node/{node}", s.sessionNode)
	s.handle("GET /v1/session/list", s.sessionList)
	s.coordinateRoutes()
	s.eventRoutes()
	s.queryRoutes()
	// txn
	s.handle("PUT /v1/txn", s.txn)
	// status
	s.handle("GET /v1/status/leader", s.statusLeader)
	s.handle("GET /v1/status/peers", s.statusPeers)
	// the web UI, mounted by the agent, is the answer to a browser at /
	s.mux.Handle("GET /{$}", http.RedirectHandler("/ui/", http.StatusMovedPermanently))
}
