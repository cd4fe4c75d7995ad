// Package pgtest gives tests a PostgreSQL database of their own, on the
// server named by HERALD_TEST_DATABASE_URL (whose user may CREATE
// DATABASE). Without it, tests that need one are skipped, unless
// HERALD_REQUIRE_POSTGRES=1 (CI) makes that a failure.
//
// It imports nothing of ours.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/heraldfeed/herald/internal/testrun"
	"github.com/jackc/pgx/v5"
)

// Env names the server; RequireEnv=1 forbids skipping without one.
const (
	Env        = "HERALD_TEST_DATABASE_URL"
	RequireEnv = "HERALD_REQUIRE_POSTGRES"
)

// Skip is the message of a test skipped for want of a server.
const Skip = Env + " is not set: PostgreSQL tests skipped. Point them at a server whose user may CREATE DATABASE " +
	"(" + Env + "=postgres://user@127.0.0.1:5432/postgres go test ./...), or start a throwaway one with " +
	"`scripts/pg-test-server start DIR` and export the line it prints"

// Server returns the server URL, skipping t (or failing it, under
// RequireEnv) when there is none.
func Server(t testing.TB) string {
	t.Helper()
	u := os.Getenv(Env)
	if u == "" {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%s=1 but %s is not set", RequireEnv, Env)
		}
		skipped.Add(1)
		t.Skip(Skip)
	}
	return u
}

// skipped counts the tests of this binary skipped for want of a server.
var skipped atomic.Int64

// Main runs a package's tests (call it from TestMain) and then, when some
// were skipped for want of a server, says so in one line. go test shows
// a passing package's output only with -v, so the line goes to the
// terminal when there is one, and once per go test run however many
// packages skipped: the go command is every test binary's parent, so a
// marker named by its PID tells the first binary from the others.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main without the exit: it returns m.Run's code, for a TestMain
// with clean-up of its own to do.
//
// The parallel tests of the packages that use a server mostly wait: on
// lease expiries (about 10 s, idle) and on child processes. GOMAXPROCS of
// them at a time left the CPUs idle while the rest queued, so unless
// -test.parallel is given they run two per CPU (three per CPU made timed
// assertions of cmd/herald fail under load).
func Run(m *testing.M) int {
	testrun.Parallel(2)
	code := m.Run()
	if skipped.Load() > 0 {
		line := "note: " + Skip + "\n"
		removeStaleMarkers()
		marker := filepath.Join(os.TempDir(), fmt.Sprintf("herald-pgtest-note-%d", os.Getppid()))
		if f, err := os.OpenFile(marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600); err == nil {
			f.Close()
			if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
				tty.WriteString(line)
				tty.Close()
			} else {
				os.Stderr.WriteString(line)
			}
		}
	}
	return code
}

// NewDatabase creates a database named uniquely for t, drops it when t
// ends (its connections terminated), and returns its URL. A server that
// is named but does not answer fails t: it is never a reason to skip.
func NewDatabase(t testing.TB) string {
	t.Helper()
	dbURL, drop, err := Create(Server(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Error(err)
		}
	})
	return dbURL
}

// Create creates a uniquely named database on the server at server and
// returns its URL and the function that drops it, for a database that
// outlives one test (a benchmark's, set up once for all its runs).
func Create(server string) (dbURL string, drop func() error, err error) {
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, fmt.Errorf("%s must be a postgres:// URL", Env)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "herald_test_" + hex.EncodeToString(b[:])
	admin := func(sql string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, server)
		if err != nil {
			return fmt.Errorf("PostgreSQL test server (%s): %w", Env, err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			return fmt.Errorf("%s: %w", sql, err)
		}
		return nil
	}
	if err := admin("CREATE DATABASE " + name); err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), func() error { return admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") }, nil
}

// Conn connects to the database at dbURL for the rest of t, for tests
// that reach behind a store: terminating its connections, reading or
// changing its schema.
func Conn(t testing.TB, dbURL string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// Exec runs sql on a connection of its own to the database at dbURL and
// returns the rows it touched (or selected).
func Exec(t testing.TB, dbURL, sql string, args ...any) int64 {
	t.Helper()
	conn := Conn(t, dbURL)
	defer conn.Close(context.Background())
	tag, err := conn.Exec(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", strings.TrimSpace(sql), err)
	}
	return tag.RowsAffected()
}

// removeStaleMarkers removes the markers of go test runs that ended.
func removeStaleMarkers() {
	old, _ := filepath.Glob(filepath.Join(os.TempDir(), "herald-pgtest-note-*"))
	for _, m := range old {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(m), "herald-pgtest-note-"))
		if err != nil {
			continue
		}
		if p, err := os.FindProcess(pid); err != nil || p.Signal(syscall.Signal(0)) != nil {
			os.Remove(m)
		}
	}
}
