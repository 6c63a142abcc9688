package postgres

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"almatel.kz/signkiosk/sync/headoffice/postgres/pgtest"
)

// cluster is the package's one server, started by TestMain; each test
// gets its own database (newStore).
var cluster *pgtest.Cluster

func TestMain(m *testing.M) {
	c, err := pgtest.New()
	switch {
	case errors.Is(err, pgtest.ErrNoServer) && os.Getenv("CI") == "":
		// The tests skip, saying why.
	case err != nil:
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		os.Exit(1)
	default:
		cluster = c
	}
	code := m.Run()
	if cluster != nil {
		cluster.Remove()
	}
	os.Exit(code)
}

// db returns a fresh database's DSN, skipping without a server.
func db(t *testing.T) string {
	t.Helper()
	if cluster == nil {
		t.Skip("PostgreSQL is not installed (make deps installs the postgresql package)")
	}
	return cluster.NewDatabase(t)
}
