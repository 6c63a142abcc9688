package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// The cluster starts, serves a database per test, survives a crash
// (immediate stop) with what was committed, and is gone at the end.
func TestClusterStartsAndRestarts(t *testing.T) {
	c := Start(t)
	dsn := c.NewDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE k (v int); INSERT INTO k VALUES (42)`); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if err := c.Stop(true); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	conn, err = pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v int
	if err := conn.QueryRow(ctx, `SELECT v FROM k`).Scan(&v); err != nil || v != 42 {
		t.Fatalf("after a crash: %d, %v; want 42", v, err)
	}
}
