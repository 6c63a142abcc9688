package keyfile

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile writes data to path with exactly perm (whatever the umask),
// replacing a file already there: through a temporary file in the same
// folder, synced and renamed into place. A failed write (a full disk)
// leaves the old file, or none — never an empty or partial one.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return writeReplace(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// writeReplace is WriteFile with the content written by write, so a test
// can fail it half way.
func writeReplace(path string, perm fs.FileMode, write func(io.Writer) error) error {
	return writeVia(path, perm, write, os.Rename)
}

// writeVia writes a temporary file in path's folder with exactly perm,
// syncs it and puts it at path with place: os.Rename replaces what is
// there, os.Link refuses to (WriteOnce). On any error the temporary file
// goes and path is as it was.
func writeVia(path string, perm fs.FileMode, write func(io.Writer) error, place func(tmp, path string) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a rename nothing is left to remove
	err = f.Chmod(perm)
	if err == nil {
		err = write(f)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = place(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	syncDir(dir)
	return nil
}

// syncDir makes a new name in dir durable; best effort.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
