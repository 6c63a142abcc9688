package config

import (
	"fmt"
	"os"
	"path/filepath"
)

// EnvDataDir overrides where the kiosk keeps its data (keys, database, logs).
const EnvDataDir = "SIGNKIOSK_DATA"

// DefaultDataDir is $SIGNKIOSK_DATA, else $XDG_DATA_HOME/signkiosk, else
// ~/.local/share/signkiosk: per user, so a demo never needs root.
func DefaultDataDir() (string, error) {
	if d := os.Getenv(EnvDataDir); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "signkiosk"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find data dir: %w", err)
	}
	return filepath.Join(home, ".local", "share", "signkiosk"), nil
}
