// Package pgtest starts a throwaway PostgreSQL cluster for tests: Debian's
// own server binaries (the postgresql package, which make deps installs),
// initdb into a temp dir, the server listening on a Unix socket only, and
// everything stopped and removed at the end. No mock: the tests of the
// head office's PostgreSQL store run against the real server.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is a running server. Its methods may be called from any test
// using it; Stop and Start restart it (a crash test's "PostgreSQL restarted
// once").
type Cluster struct {
	bin    string // the directory of initdb, pg_ctl, postgres
	data   string // PGDATA
	sock   string // the socket directory (short: a socket path has ~107 bytes)
	port   int
	runAs  string // the system user the server runs as when the tests run as root
	dbs    atomic.Int64
	logOut string
}

// TB is the part of testing.TB the helper needs (a TestMain has no T).
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
	Cleanup(func())
}

// Start initialises and starts a cluster, stopped and removed when t ends.
// Without the server binaries it skips the test, unless CI is set (there
// make deps has installed them, and a skip would hide a missing step).
func Start(t TB) *Cluster {
	t.Helper()
	c, err := New()
	if errors.Is(err, ErrNoServer) {
		if os.Getenv("CI") != "" {
			t.Fatalf("pgtest: %v (make deps installs the postgresql package)", err)
		}
		t.Skipf("pgtest: %v (make deps installs the postgresql package)", err)
	}
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(c.Remove)
	return c
}

// ErrNoServer: Debian's postgresql package is not installed.
var ErrNoServer = errors.New("PostgreSQL's initdb and pg_ctl are not installed")

// binDir finds Debian's server binaries: on PATH, else the newest
// /usr/lib/postgresql/<major>/bin.
func binDir() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Dir(real), nil
		}
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return major(dirs[i]) > major(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	return "", ErrNoServer
}

func major(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// New initialises and starts a cluster for a TestMain, which calls Remove
// at the end; tests use Start.
func New() (*Cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	// Not t.TempDir: the server may run as another user, who must be able
	// to reach the directory, and the socket path must stay short.
	root, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	c := &Cluster{bin: bin, data: filepath.Join(root, "data"), sock: root, logOut: filepath.Join(root, "server.log")}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(root)
		}
	}()
	if os.Geteuid() == 0 {
		// initdb refuses to run as root: the server runs as Debian's
		// postgres user, which owns the temp dir.
		if err := c.runAsPostgres(root); err != nil {
			return nil, err
		}
	}
	// The socket is c.sock/.s.PGSQL.5432: its own directory, so clusters
	// of tests running at once never meet, and nothing listens on TCP.
	c.port = 5432
	// trust on the socket only: nothing listens on TCP; --no-sync: a test
	// cluster need not survive the machine's crash, only the server's.
	if out, err := c.run("initdb", "-D", c.data, "-U", "signkiosk", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	if err := c.Start(); err != nil {
		return nil, err
	}
	ok = true
	return c, nil
}

// runAsPostgres makes the temp dir the postgres user's.
func (c *Cluster) runAsPostgres(root string) error {
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("running as root and no postgres user to run the server as: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(root, uid, gid); err != nil {
		return fmt.Errorf("chown temp dir: %w", err)
	}
	c.runAs = u.Username
	return nil
}

// run runs one of the server's programs, as the postgres user when root.
func (c *Cluster) run(prog string, args ...string) ([]byte, error) {
	path := filepath.Join(c.bin, prog)
	var cmd *exec.Cmd
	if c.runAs != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.runAs, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

// Start starts the server (again) and waits until it accepts connections.
func (c *Cluster) Start() error {
	opts := fmt.Sprintf("-k %s -c listen_addresses='' -p %d -c max_connections=200 -c shared_buffers=32MB -c fsync=on -c synchronous_commit=on", c.sock, c.port)
	if out, err := c.run("pg_ctl", "-D", c.data, "-l", c.logOut, "-o", opts, "-w", "-t", "60", "start"); err != nil {
		return fmt.Errorf("pg_ctl start: %v: %s%s", err, out, c.tail())
	}
	return nil
}

// Stop stops the server; immediate is a crash (no shutdown checkpoint:
// the next start replays the WAL), otherwise a fast, clean shutdown.
func (c *Cluster) Stop(immediate bool) error {
	mode := "fast"
	if immediate {
		mode = "immediate"
	}
	if out, err := c.run("pg_ctl", "-D", c.data, "-m", mode, "-w", "-t", "60", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	return nil
}

// Remove stops the server and deletes its files.
func (c *Cluster) Remove() {
	_ = c.Stop(true)
	os.RemoveAll(c.sock)
}

// tail is the end of the server's log, for a failure message.
func (c *Cluster) tail() string {
	b, err := os.ReadFile(c.logOut)
	if err != nil {
		return ""
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return "\nserver log: " + string(b)
}

// DSN is the connection string of database db.
func (c *Cluster) DSN(db string) string {
	return fmt.Sprintf("host=%s port=%d user=signkiosk dbname=%s sslmode=disable", c.sock, c.port, db)
}

// NewDatabase creates an empty database for one test and returns its DSN;
// it is dropped when t ends.
func (c *Cluster) NewDatabase(t TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), c.dbs.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = c.exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return c.DSN(name)
}

func (c *Cluster) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

var _ TB = testing.TB(nil) // a *testing.T or *testing.B will do
