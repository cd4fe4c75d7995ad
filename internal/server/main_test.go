package server

import (
	"os"
	"testing"

	"github.com/heraldfeed/herald/internal/testrun"
)

// The parallel tests here wait out short timeouts on idle connections,
// each with a server of its own: one per CPU at a time left the CPUs idle.
func TestMain(m *testing.M) {
	testrun.Parallel(4)
	os.Exit(m.Run())
}
