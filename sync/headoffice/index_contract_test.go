package headoffice_test

import (
	"context"
	"path/filepath"
	"testing"

	"almatel.kz/signkiosk/sync/headoffice"
	"almatel.kz/signkiosk/sync/headoffice/indextest"
)

// The SQLite index keeps the contract every Index keeps.
func TestIndexContract(t *testing.T) {
	indextest.Run(t, func(t *testing.T) headoffice.Index {
		ix, err := headoffice.OpenIndex(context.Background(), filepath.Join(t.TempDir(), "index.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ix.Close() })
		return ix
	})
}
