// Package logtest is an in-memory log sink for tests: the kiosk's loggers
// write from several goroutines, and tests read the log back (for example
// to check that no personal data reached it).
package logtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
)

// Buffer is an io.Writer safe for concurrent writers.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything written so far.
func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// RepeatedKeys returns the keys that a JSON log line carries more than
// once (zerolog appends a field given twice, e.g. a component named by
// both the caller and the callee), or an error when line is no JSON object.
func RepeatedKeys(line []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object: %q", line)
	}
	seen := map[string]bool{}
	var twice []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("read key: %w", err)
		}
		key, _ := t.(string)
		if seen[key] {
			twice = append(twice, key)
		}
		seen[key] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("read %q: %w", key, err)
		}
	}
	return twice, nil
}
