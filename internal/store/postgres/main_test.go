package postgres

import (
	"testing"

	"github.com/heraldfeed/herald/internal/store/postgres/pgtest"
)

// TestMain says in one line when PostgreSQL tests were skipped.
func TestMain(m *testing.M) { pgtest.Main(m) }
