package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"almatel.kz/signkiosk/sync/headoffice"
	"almatel.kz/signkiosk/sync/headoffice/postgres"
)

// dsnEnv is where --dsn comes from when the flag is not given, so a
// connection string with a password need not be on the command line
// (~/.pgpass or $PGPASSWORD keep the password out of both).
const dsnEnv = "SIGNKIOSK_HEADOFFICE_DSN"

// storeFlags are --store and --dsn, which every headoffice command takes:
// where package bodies and the index live.
type storeFlags struct{ kind, dsn string }

func (s *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.kind, "store", "file", "where packages and the index live: `file` (DIR/packages, DIR/index.db) or postgres (--dsn)")
	fs.StringVar(&s.dsn, "dsn", "", "PostgreSQL connection `string` for --store postgres (default $"+dsnEnv+")")
}

// check validates the flags after parsing, filling --dsn from the
// environment.
func (s *storeFlags) check() error {
	switch s.kind {
	case "file":
		if s.dsn != "" {
			return fmt.Errorf("--dsn is for --store postgres")
		}
	case "postgres":
		if s.dsn == "" {
			s.dsn = os.Getenv(dsnEnv)
		}
		if s.dsn == "" {
			return fmt.Errorf("--store postgres needs --dsn or $%s", dsnEnv)
		}
	default:
		return fmt.Errorf("--store %q: want file or postgres", s.kind)
	}
	return nil
}

// exists reports whether dataDir holds an index to look at: commands that
// only read must not make an empty head office where none is. A database
// is always there to ask.
func (s storeFlags) exists(dataDir string) (string, bool) {
	if s.kind != "file" {
		return "", true
	}
	path := filepath.Join(dataDir, "index.db")
	_, err := os.Stat(path)
	return path, err == nil
}

// openIndex opens the index alone (enrol, revoke, kiosks, failed).
func (s storeFlags) openIndex(ctx context.Context, dataDir string) (headoffice.Index, error) {
	if s.kind == "postgres" {
		return postgres.Open(ctx, s.dsn)
	}
	return headoffice.OpenIndex(ctx, filepath.Join(dataDir, "index.db"))
}

// openStore opens the bodies' storage and the index, and what closes them.
func (s storeFlags) openStore(ctx context.Context, dataDir string) (headoffice.Storage, headoffice.Index, func(), error) {
	if s.kind == "postgres" {
		st, err := postgres.Open(ctx, s.dsn)
		if err != nil {
			return nil, nil, nil, err
		}
		return st, st, func() { st.Close() }, nil
	}
	ix, err := headoffice.OpenIndex(ctx, filepath.Join(dataDir, "index.db"))
	if err != nil {
		return nil, nil, nil, err
	}
	st := &headoffice.FileStorage{Dir: filepath.Join(dataDir, "packages")}
	if err := st.CleanTemp(); err != nil {
		ix.Close()
		return nil, nil, nil, err
	}
	return st, ix, func() { ix.Close() }, nil
}
