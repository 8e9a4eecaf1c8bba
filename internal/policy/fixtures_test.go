package policy

import (
	"testing"

	"github.com/orbit/orbit/internal/orbittest/fixtures"
)

func fixtureFiles(t *testing.T, kind string) []string { return fixtures.Jobs(t, kind) }
