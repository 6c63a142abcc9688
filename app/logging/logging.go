// Package logging sets up the kiosk's zerolog output: JSON lines to a file
// under the data dir (for staff and support) and readable console output.
// What goes into a log line is the caller's duty: fields only, never
// personal data (see the log test of a full session in ui).
package logging

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"
)

// Open returns a logger writing JSON lines to dir/signkiosk.log (created 0600)
// and, when console is not nil, human-readable lines there. Close the closer
// at exit.
func Open(dir string, console io.Writer, level zerolog.Level) (zerolog.Logger, io.Closer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return zerolog.Nop(), nil, fmt.Errorf("open log: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "signkiosk.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return zerolog.Nop(), nil, fmt.Errorf("open log: %w", err)
	}
	var w io.Writer = f
	if console != nil {
		w = zerolog.MultiLevelWriter(f, Console(console))
	}
	return New(w, level), f, nil
}

// New is a logger on w with timestamps.
func New(w io.Writer, level zerolog.Level) zerolog.Logger {
	return zerolog.New(w).Level(level).With().Timestamp().Logger()
}

// Console is zerolog's readable writer for a terminal.
func Console(w io.Writer) io.Writer {
	return zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
}
