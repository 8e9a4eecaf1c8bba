package jobspec

import (
	"github.com/orbit/orbit/internal/orbittest/fixtures"
	"testing"
)

func fixturesDir(t *testing.T) string { return fixtures.Dir(t) }

func fixtureFiles(t *testing.T, kind string) []string { return fixtures.Jobs(t, kind) }
