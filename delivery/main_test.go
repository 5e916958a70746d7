package delivery

import (
	"os"
	"testing"

	"github.com/hooklab/hooklab/db/dbtest"
)

// TestMain stops the throwaway PostgreSQL server the tests started.
func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }
