package routefeed

import (
	"testing"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/routing"
)

// serverIDs are the instance ids of service svc's servers in rt.
func serverIDs(rt *routing.Table, svc string) []string {
	var ids []string
	for _, s := range rt.Services() {
		if s.Name == svc {
			for _, b := range s.Servers {
				ids = append(ids, b.InstanceID)
			}
		}
	}
	return ids
}

// TestFeederRoutesActivePassiveToPrimary: a standby instance of an
// active-passive service is no server at all (not even for the panic
// threshold); when the roles swap, the route follows the new primary.
func TestFeederRoutesActivePassiveToPrimary(t *testing.T) {
	e, register := startFeed(t, Config{Routing: routing.Config{EntryPoints: []routing.EntryPoint{{Name: "web"}}}, FlapDamping: -1}, nil)
	e.next()
	inst := func(id string, port int, role string) *catalog.Instance {
		return &catalog.Instance{Node: "n1", ID: id, Name: "db", Port: port, Tags: append(webTags("db.test"), role),
			Meta: map[string]string{catalog.MetaActivePassiveRole: role}}
	}
	// The standby first: no table may ever hold it.
	register("n1", inst("db-2", 8082, catalog.RoleStandby), catalog.Passing)
	register("n1", inst("db-1", 8081, catalog.RolePrimary), catalog.Passing)
	e.until("db-1 the only server", func(rt *routing.Table) bool {
		ids := serverIDs(rt, "db")
		return len(ids) == 1 && ids[0] == "db-1"
	})
	register("n1", inst("db-1", 8081, catalog.RoleStandby), catalog.Passing)
	register("n1", inst("db-2", 8082, catalog.RolePrimary), catalog.Passing)
	e.until("db-2 the only server", func(rt *routing.Table) bool {
		ids := serverIDs(rt, "db")
		return len(ids) == 1 && ids[0] == "db-2"
	})
}
