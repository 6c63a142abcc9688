package keyfile

import (
	"errors"
	"fmt"
	"os"
)

// ErrInsecure means a private key file is readable (or writable) by its
// group or by others: it is refused rather than used.
var ErrInsecure = errors.New("private key file is open to others")

// CheckPrivate refuses a private key file that is not a regular file or
// whose mode has any group or other bits: whoever can read it can sign as
// this kiosk (or head office). A missing file gives an error that matches
// fs.ErrNotExist. what names the key, e.g. "ticket key"; the message is one
// line with the fix, e.g.
// "ticket key /etc/k.key: mode 0644 lets others read it; chmod 600 it".
func CheckPrivate(path, what string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s %s: not a regular file", what, path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return insecure(fmt.Sprintf("%s %s: mode %04o lets others read it; chmod 600 it", what, path, perm))
	}
	return nil
}

// insecure is an ErrInsecure with its own message.
type insecure string

func (e insecure) Error() string        { return string(e) }
func (e insecure) Is(target error) bool { return target == ErrInsecure }
