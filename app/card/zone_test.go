package card

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o600) }

func TestStamp(t *testing.T) {
	c := clock{loc: loadAlmaty()}
	if got := c.stamp(cardTime); got != "2026-12-02 14:05:31 (UTC+5, Asia/Almaty)" {
		t.Fatalf("stamp %q", got)
	}
	if c.stamp(time.Time{}) != "—" {
		t.Fatal("zero time")
	}
	// Before 1 March 2024 Almaty was UTC+6; real tzdata says so, the fixed
	// fallback (stale or missing tzdata) keeps UTC+5 and the right instant.
	old := time.Date(2023, 6, 1, 6, 0, 0, 0, time.UTC)
	if got := c.stamp(old); got != "2023-06-01 12:00:00 (UTC+6, Asia/Almaty)" && got != "2023-06-01 11:00:00 (UTC+5, Asia/Almaty)" {
		t.Fatalf("old stamp %q", got)
	}
	for off, want := range map[int]string{0: "UTC", 5 * 3600: "UTC+5", -(3*3600 + 1800): "UTC-3:30", 5*3600 + 45*60: "UTC+5:45"} {
		if got := utcOffset(off); got != want {
			t.Errorf("utcOffset(%d) = %q, want %q", off, got, want)
		}
	}
}

// TestLoadAlmatyStaleTzdata gives LoadLocation an Asia/Almaty from before
// 2024 (a constant UTC+6, as a stale system tzdata has it): the card must
// fall back to the fixed UTC+5 rather than print an hour off.
func TestLoadAlmatyStaleTzdata(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "Asia"), 0o700); err != nil {
		t.Fatal(err)
	}
	// A TZif v1 file with one type, +06, and no transitions.
	tzif := append([]byte("TZif"), make([]byte, 16)...)
	for _, n := range []uint32{0, 0, 0, 0, 1, 4} { // isut, isstd, leap, time, type, char counts
		tzif = binary.BigEndian.AppendUint32(tzif, n)
	}
	tzif = binary.BigEndian.AppendUint32(tzif, 6*3600)
	tzif = append(tzif, 0, 0)
	tzif = append(tzif, "+06\x00"...)
	if _, err := time.LoadLocationFromTZData("Asia/Almaty", tzif); err != nil {
		t.Fatalf("test tzdata: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Asia", "Almaty"), tzif, 0o600); err != nil {
		t.Fatal(err)
	}
	// Go reads ZONEINFO once per process: check in a fresh one.
	cmd := exec.Command(os.Args[0], "-test.run=^TestStaleTzdataChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "ZONEINFO="+dir, "CARD_STALE_TZ_CHILD=1")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "PASS") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

// TestStaleTzdataChild runs only inside TestLoadAlmatyStaleTzdata.
func TestStaleTzdataChild(t *testing.T) {
	if os.Getenv("CARD_STALE_TZ_CHILD") != "1" {
		t.Skip("run by TestLoadAlmatyStaleTzdata")
	}
	if stale, err := time.LoadLocation("Asia/Almaty"); err != nil {
		t.Fatal(err)
	} else if _, off := cardTime.In(stale).Zone(); off != 6*3600 {
		t.Fatalf("the stale zone did not load (offset %d)", off)
	}
	c := clock{loc: loadAlmaty()}
	if got := c.stamp(cardTime); got != "2026-12-02 14:05:31 (UTC+5, Asia/Almaty)" {
		t.Fatalf("with stale tzdata: %q", got)
	}
}
