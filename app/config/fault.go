package config

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
)

// ErrFault marks a fault of the configuration: a bad value, or a file the
// configuration names (a key, a certificate) that is missing, unreadable,
// malformed or readable by others. The commands exit 2 for it, as for bad
// usage, and 1 only when the thing they check or do fails.
var ErrFault = errors.New("config fault")

// Fault marks err as a config fault (errors.Is(err, ErrFault)) and leaves
// its message and its chain as they are. Fault(nil) is nil.
func Fault(err error) error {
	if err == nil {
		return nil
	}
	return fault{err}
}

type fault struct{ err error }

func (f fault) Error() string        { return f.err.Error() }
func (f fault) Unwrap() error        { return f.err }
func (f fault) Is(target error) bool { return target == ErrFault }

// oneLine shows an error with its control characters (a newline quoted
// from the file, an escape code) written as Go escapes.
type oneLine struct{ err error }

func (o oneLine) Error() string {
	s := o.err.Error()
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			r := q[1 : len(q)-1]
			b.WriteString(r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (o oneLine) Unwrap() error { return o.err }
