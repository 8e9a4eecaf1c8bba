package jobvalidate

import (
	"testing"

	"github.com/orbit/orbit/internal/orbittest/fixtures"
)

func fixturesDir(t *testing.T) string { return fixtures.Dir(t) }
