package store

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// tmpfs mounts a small tmpfs in a temp dir for the test, or skips the test
// where mounting is not allowed (not root, or a container without
// CAP_SYS_ADMIN): a real read-only or full file system is the only honest
// way to get those errors as root, who ignores permission bits.
func tmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "fs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size="+size+",mode=0700"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v): needs root with CAP_SYS_ADMIN", err)
	}
	// Registered first, so it runs after the test's own cleanups (closing
	// the databases on it). MNT_DETACH: never leave a mount behind.
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// remountRO makes the tmpfs at dir read-only; nothing may hold a file on it
// open for writing (the kernel refuses with EBUSY).
func remountRO(t *testing.T, dir string) {
	t.Helper()
	if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_RDONLY|syscall.MS_NOSUID|syscall.MS_NODEV, ""); err != nil {
		t.Fatalf("remount read-only: %v", err)
	}
}

// fill writes to a file on dir until the file system is full.
func fill(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errorsIsENOSPC(err) {
				t.Fatalf("filling the disk: %v", err)
			}
			return
		}
	}
}
