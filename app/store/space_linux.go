package store

import "syscall"

// freeSpace is the room an unprivileged writer has on dir's file system.
func freeSpace(dir string) (uint64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return st.Bavail * uint64(st.Bsize), true
}

// readOnlyFS reports whether dir is on a file system mounted read-only.
func readOnlyFS(dir string) bool {
	var st syscall.Statfs_t
	return syscall.Statfs(dir, &st) == nil && st.Flags&stRdonly != 0
}

const stRdonly = 0x1 // ST_RDONLY in statfs(2)'s f_flags
