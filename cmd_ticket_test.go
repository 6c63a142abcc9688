package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"

	"almatel.kz/signkiosk/app/ticket"
	"almatel.kz/signkiosk/camera/picturetest"
)

// ticketEnv gives each test its own data dir, as SIGNKIOSK_DATA.
func ticketEnv(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("SIGNKIOSK_DATA", dir)
	return dir
}

type cmdResult struct {
	code           int
	stdout, stderr string
}

func runCmd(t *testing.T, fn func(context.Context, []string, io.Writer, io.Writer) int, args ...string) cmdResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := fn(context.Background(), args, &out, &errb)
	r := cmdResult{code, out.String(), errb.String()}
	assertNoPersonalData(t, r.stdout+r.stderr)
	return r
}

// newTicketQR runs "ticket new" with extra flags and returns the PNG path.
func newTicketQR(t *testing.T, dir string, flags ...string) string {
	t.Helper()
	qr := filepath.Join(dir, "t-"+randName()+".png")
	r := runCmd(t, runTicket, append([]string{"new", "--qr", qr}, flags...)...)
	if r.code != 0 {
		t.Fatalf("ticket new %v: exit %d: %s", flags, r.code, r.stderr)
	}
	return qr
}

func randName() string { return strconv.FormatUint(rand.Uint64(), 36) }

func assertNoPersonalData(t *testing.T, s string) {
	t.Helper()
	sub := ticket.DemoOrder().Subscriber
	for _, v := range []string{sub.IIN, sub.Surname, sub.Given, sub.Patronymic, sub.Phone} {
		if strings.Contains(s, v) {
			t.Errorf("output contains personal data: %q", s)
		}
	}
}

// wantScanFail checks a refused scan: exit 1 and exactly one stderr line.
func wantScanFail(t *testing.T, r cmdResult, prefix string) {
	t.Helper()
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (stdout %q, stderr %q)", r.code, r.stdout, r.stderr)
	}
	if strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") {
		t.Errorf("stderr is not one line: %q", r.stderr)
	}
	if !strings.HasPrefix(r.stderr, prefix) {
		t.Errorf("stderr %q, want prefix %q", r.stderr, prefix)
	}
	if r.stdout != "" {
		t.Errorf("stdout %q, want nothing", r.stdout)
	}
}

func TestTicketNewAndScan(t *testing.T) {
	dir := ticketEnv(t)
	qr := filepath.Join(dir, "ticket.png")
	r := runCmd(t, runTicket, "new", "--qr", qr)
	if r.code != 0 {
		t.Fatalf("ticket new: exit %d: %s", r.code, r.stderr)
	}
	text := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(text, ticket.Prefix) || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("stdout %q is not one ticket line", r.stdout)
	}
	if !strings.Contains(r.stderr, "qr: "+qr+"\n") {
		t.Errorf("stderr %q lacks the QR path", r.stderr)
	}
	for _, f := range []string{ticket.PrivateKeyFile, ticket.PublicKeyFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("key file: %v", err)
		}
	}
	f, err := os.Open(qr)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(f)
	f.Close()
	if err != nil || cfg.Width < 512 || cfg.Width != cfg.Height {
		t.Fatalf("QR PNG %dx%d (%v), want square ≥ 512", cfg.Width, cfg.Height, err)
	}

	r = runCmd(t, runScan, qr)
	if r.code != 0 {
		t.Fatalf("scan: exit %d: %s", r.code, r.stderr)
	}
	if !strings.HasPrefix(r.stdout, "ok: order ORD-2026-000123 valid until ") || r.stderr != "" {
		t.Fatalf("scan: stdout %q stderr %q", r.stdout, r.stderr)
	}

	// The second scan of the same ticket is a reuse.
	wantScanFail(t, runCmd(t, runScan, qr), "scan: ticket already used")
}

func TestScanNoRecord(t *testing.T) {
	dir := ticketEnv(t)
	qr := newTicketQR(t, dir)
	for i := 0; i < 2; i++ {
		if r := runCmd(t, runScan, qr, "--no-record"); r.code != 0 {
			t.Fatalf("scan --no-record #%d: exit %d: %s", i, r.code, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "kiosk.db")); !os.IsNotExist(err) {
		t.Errorf("--no-record created the database (%v)", err)
	}
	db := filepath.Join(dir, "other.db")
	if r := runCmd(t, runScan, "--db", db, qr); r.code != 0 {
		t.Fatalf("scan --db: exit %d: %s", r.code, r.stderr)
	}
	wantScanFail(t, runCmd(t, runScan, qr, "--db", db), "scan: ticket already used")
}

func TestTicketOrderFile(t *testing.T) {
	dir := ticketEnv(t)
	o := ticket.DemoOrder()
	o.ID = "ORD-2026-000777"
	o.Lang = "ru"
	b, _ := json.Marshal(o)
	orderPath := filepath.Join(dir, "order.json")
	os.WriteFile(orderPath, b, 0o600)
	qr := newTicketQR(t, dir, "--order", orderPath, "--staff", "S-0001", "--ttl", "15m")
	r := runCmd(t, runScan, qr)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "ok: order ORD-2026-000777 valid until ") {
		t.Fatalf("scan: exit %d: %q %q", r.code, r.stdout, r.stderr)
	}

	for name, tc := range map[string]struct {
		json, want string
	}{
		"unknown field": {`{"id":"ORD-1","lang":"kk","subscriber":{"inn":"1"}}`, `unknown field "inn"`},
		"short IIN": {strings.Replace(string(b), ticket.DemoOrder().Subscriber.IIN, "9001013", 1),
			"ticket is incomplete: subscriber IIN must be 12 digits"},
		"not JSON":    {"id: ORD-1", "read order order.json"},
		"two objects": {string(b) + string(b), "data after"},
	} {
		t.Run(name, func(t *testing.T) {
			os.WriteFile(orderPath, []byte(tc.json), 0o600)
			r := runCmd(t, runTicket, "new", "--order", orderPath)
			if r.code != 1 || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
				t.Fatalf("exit %d, stderr %q, want 1 and %q", r.code, r.stderr, tc.want)
			}
		})
	}
	if r := runCmd(t, runTicket, "new", "--order", filepath.Join(dir, "missing.json")); r.code != 1 {
		t.Fatalf("missing order: exit %d", r.code)
	}
}

func TestScanRefusals(t *testing.T) {
	dir := ticketEnv(t)
	newTicketQR(t, dir) // creates the data dir's key pair

	otherKey := filepath.Join(t.TempDir(), "keys")
	if _, _, err := ticket.LoadOrCreateKeyPair(otherKey); err != nil {
		t.Fatal(err)
	}

	noise := filepath.Join(dir, "noise.png")
	img := image.NewGray(image.Rect(0, 0, 640, 480))
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	os.WriteFile(noise, buf.Bytes(), 0o644)

	notImage := filepath.Join(dir, "notes.txt")
	os.WriteFile(notImage, []byte("AKT1:this is text, not a picture\n"), 0o644)

	url := filepath.Join(dir, "url.png")
	if err := qrcode.WriteFile("https://almatel.kz/", qrcode.Medium, 512, url); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name  string
		image string
		flags []string
		want  string
	}{
		{"forged", newTicketQR(t, dir, "--key", filepath.Join(otherKey, ticket.PrivateKeyFile)), nil,
			"scan: ticket signature is not valid (forged or altered)\n"},
		{"expired", newTicketQR(t, dir, "--now", "2025-01-02T03:04:05Z", "--ttl", "1h"), nil,
			"scan: ticket expired at "},
		{"not yet valid", newTicketQR(t, dir, "--now", "2099-01-01T00:00:00Z"), nil,
			"scan: ticket is not valid until "},
		{"other office", newTicketQR(t, dir, "--office", "ALM-002"), nil,
			"scan: ticket is for office ALM-002, this kiosk is ALM-001\n"},
		{"kiosk of another office", newTicketQR(t, dir), []string{"--office", "AST-007"},
			"scan: ticket is for office ALM-001, this kiosk is AST-007\n"},
		{"noise", noise, nil, "scan: no QR code found in image\n"},
		{"not an image", notImage, nil, "scan: read image: not a PNG or JPEG file"},
		{"missing file", filepath.Join(dir, "missing.png"), nil, "scan: read image: "},
		{"not a ticket", url, nil, "scan: not a session ticket\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantScanFail(t, runCmd(t, runScan, append([]string{tc.image}, tc.flags...)...), tc.want)
		})
	}
}

// A QR made by an independent encoder scans too.
func TestScanQrencode(t *testing.T) {
	bin, err := exec.LookPath("qrencode")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("qrencode is not on PATH (make deps installs it)")
		}
		t.Skip("qrencode is not on PATH")
	}
	dir := ticketEnv(t)
	r := runCmd(t, runTicket, "new")
	if r.code != 0 {
		t.Fatalf("ticket new: exit %d: %s", r.code, r.stderr)
	}
	out := filepath.Join(dir, "qrencode.png")
	if msg, err := exec.Command(bin, "-o", out, "-l", "M", strings.TrimSpace(r.stdout)).CombinedOutput(); err != nil {
		t.Fatalf("qrencode: %v: %s", err, msg)
	}
	r = runCmd(t, runScan, out)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "ok: order ORD-2026-000123") {
		t.Fatalf("scan: exit %d: %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestTicketScanUsage(t *testing.T) {
	dir := ticketEnv(t)
	qr := newTicketQR(t, dir)
	for _, tc := range []struct {
		name string
		fn   func(context.Context, []string, io.Writer, io.Writer) int
		args []string
	}{
		{"ticket without subcommand", runTicket, nil},
		{"ticket unknown subcommand", runTicket, []string{"old"}},
		{"ticket unknown flag", runTicket, []string{"new", "--colour", "red"}},
		{"ticket extra argument", runTicket, []string{"new", "extra"}},
		{"ticket zero ttl", runTicket, []string{"new", "--ttl", "0s"}},
		{"ticket bad ttl", runTicket, []string{"new", "--ttl", "soon"}},
		{"ticket bad now", runTicket, []string{"new", "--now", "yesterday"}},
		{"scan without image", runScan, nil},
		{"scan two images", runScan, []string{qr, qr}},
		{"scan unknown flag", runScan, []string{qr, "--fast"}},
		{"scan missing public key", runScan, []string{qr, "--pub", filepath.Join(dir, "none.pub")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCmd(t, tc.fn, tc.args...)
			if r.code != 2 || r.stderr == "" || r.stdout != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 2 and a message", r.code, r.stdout, r.stderr)
			}
		})
	}
	// The hidden --now stays out of the help text.
	r := runCmd(t, runTicket, "new", "-h")
	if r.code != 0 || strings.Contains(r.stderr, "-now") || !strings.Contains(r.stderr, "-office") {
		t.Errorf("help text: %q", r.stderr)
	}
	// Flags may follow the image; "--" makes the rest positional.
	if r := runCmd(t, runScan, "--no-record", "--", qr); r.code != 0 {
		t.Errorf("scan -- IMAGE: exit %d: %s", r.code, r.stderr)
	}
}

// Image bombs: a picture whose header promises far more pixels (or JPEG
// scans) than its file holds is refused from the header with one line and
// exit 1, allocating little (the 100000×100000 PNG used to ask for 10 GB,
// "fatal error: runtime: out of memory" on a kiosk).
func TestScanPictureBombs(t *testing.T) {
	dir := ticketEnv(t)
	newTicketQR(t, dir) // the data dir's key pair
	for _, tc := range []struct {
		name, file, want string
		b                []byte
	}{
		{"png 100000×100000", "bomb.png", "scan: read image: picture is 100000×100000 pixels; the limit is ", picturetest.PNGHeader(100000, 100000)},
		{"valid png 25000×25000", "big.png", "scan: read image: picture is 25000×25000 pixels; the limit is ", picturetest.ZeroPNG(25000, 25000)},
		{"jpeg 65535×65535", "bomb.jpg", "scan: read image: picture is 65535×65535 pixels; the limit is ", picturetest.JPEGHeader(65535, 65535)},
		{"jpeg of 5000 scans", "scans.jpg", "scan: read image: JPEG picture has 5000 scans; the limit is ", picturetest.JPEGScans(4000, 3000, 5000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			if err := os.WriteFile(path, tc.b, 0o600); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			r := runCmd(t, runScan, path, "--no-record")
			runtime.ReadMemStats(&after)
			wantScanFail(t, r, tc.want)
			// 64 MB: far above reading a ≤1 MB file and a header, far below
			// any of these decoded (100 MB to 10 GB). Tests here are not
			// parallel, so TotalAlloc is this scan's.
			if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
				t.Errorf("scan allocated %d MB", n>>20)
			}
		})
	}
}
