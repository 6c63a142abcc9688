package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/logging/logtest"
	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/app/pack/packtest"
	"almatel.kz/signkiosk/sync/headoffice"
	"almatel.kz/signkiosk/sync/headoffice/postgres"
	"almatel.kz/signkiosk/sync/headoffice/postgres/pgtest"
	"almatel.kz/signkiosk/sync/heartbeat"
	"almatel.kz/signkiosk/sync/pki"
)

func TestHeadOfficeCommandBadFlags(t *testing.T) {
	t.Setenv(dsnEnv, "") // "postgres no dsn" means none anywhere
	dir := t.TempDir()
	roots := filepath.Join(dir, "roots.pem")
	if err := os.WriteFile(roots, packtest.NewEnv(t).RootPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(notPEM, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"unknown flag":    {"--nope", "--data", dir, "--roots", roots},
		"no data":         {"--listen", "127.0.0.1:0", "--roots", roots},
		"no roots":        {"--data", dir},
		"roots not PEM":   {"--data", dir, "--roots", notPEM},
		"roots missing":   {"--data", dir, "--roots", filepath.Join(dir, "nope.pem")},
		"positional":      {"--data", dir, "--roots", roots, "extra"},
		"bad duration":    {"--data", dir, "--roots", roots, "--link-ttl", "soon"},
		"old kiosk flag":  {"--data", dir, "--roots", roots, "--kiosk", "K1"},
		"enrol no kiosk":  {"enrol", "--data", dir},
		"enrol two":       {"enrol", "K1", "K2", "--data", dir},
		"enrol bad id":    {"enrol", "../K1", "--data", dir},
		"enrol no data":   {"enrol", "K1"},
		"enrol bad pub":   {"enrol", "K1", "--data", dir, "--device-pub", roots},
		"revoke no data":  {"revoke", "K1"},
		"kiosks extra":    {"kiosks", "K1", "--data", dir},
		"zero size":       {"--data", dir, "--roots", roots, "--max-size", "0"},
		"negative memory": {"--data", dir, "--roots", roots, "--max-memory", "-1"},
		"zero per kiosk":  {"--data", dir, "--roots", roots, "--max-per-kiosk", "0"},
		"zero rate":       {"--data", dir, "--roots", roots, "--min-rate", "0"},
		"bad store":       {"--data", dir, "--roots", roots, "--store", "s3"},
		"postgres no dsn": {"--data", dir, "--roots", roots, "--store", "postgres"},
		"dsn for files":   {"--data", dir, "--roots", roots, "--dsn", "host=/tmp"},
		"kiosks no dsn":   {"kiosks", "--data", dir, "--store", "postgres"},
	} {
		var out, errOut bytes.Buffer
		code := runHeadOffice(context.Background(), args, &out, &errOut)
		if code != 2 || strings.Count(errOut.String(), "\n") != 1 || !strings.HasPrefix(errOut.String(), "headoffice") {
			t.Errorf("%s: exit %d, stderr %q", name, code, errOut.String())
		}
	}
	var out, errOut bytes.Buffer
	if code := runHeadOffice(context.Background(), []string{"-h"}, &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "usage:") {
		t.Errorf("-h: exit %d, %q", code, errOut.String())
	}
	// Too little memory for one package: refused before serving, one line.
	out.Reset()
	errOut.Reset()
	code := runHeadOffice(context.Background(), []string{"--data", dir, "--roots", roots, "--listen", "127.0.0.1:0", "--download-listen", "127.0.0.1:0",
		"--max-size", "1048576", "--max-memory", "1048576"}, &out, &errOut)
	if code != 1 || strings.Count(errOut.String(), "\n") != 1 || !strings.Contains(errOut.String(), "max memory") {
		t.Errorf("memory below one package: exit %d, stderr %q", code, errOut.String())
	}
}

// startLines runs the command until its output has a line matching re.
func waitLine(t *testing.T, out, errOut *logtest.Buffer, done chan int, re *regexp.Regexp) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !re.MatchString(out.String()) {
		select {
		case code := <-done:
			t.Fatalf("exited %d early: %s", code, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no startup lines: %q %q", out.String(), errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func runHO(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runHeadOffice(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func field(t *testing.T, out, re string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %s in %q", re, out)
	}
	return m[1]
}

func TestHeadOfficeCommandServes(t *testing.T) {
	headOfficeServes(t, nil, false, func(data, id string) ([]byte, error) {
		return os.ReadFile(filepath.Join(data, "packages", id+".zip"))
	})
}

// The same with packages and the register in PostgreSQL (a throwaway
// cluster from Debian's postgresql), served by two replicas.
func TestHeadOfficeCommandServesPostgres(t *testing.T) {
	dsn := pgtest.Start(t).NewDatabase(t)
	headOfficeServes(t, []string{"--store", "postgres", "--dsn", dsn}, true, func(_, id string) ([]byte, error) {
		st, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			return nil, err
		}
		defer st.Close()
		rc, err := st.Get(context.Background(), id)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	})
}

// headOfficeServes runs head office with the store flags given (none: the
// file store) through a kiosk's life: enrol, a forged and a good package,
// revoke, the register; held reads a stored body back. With replicas, a
// second head office over the same store takes the package at once.
func headOfficeServes(t *testing.T, store []string, replicas bool, held func(data, id string) ([]byte, error)) {
	env := packtest.NewEnv(t)
	s := env.Sign(t, "900101300123", []byte("%PDF-1.7 application"))
	dir := t.TempDir()
	data := filepath.Join(dir, "ho")
	roots := filepath.Join(dir, "roots.pem")
	if err := os.WriteFile(roots, env.RootPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	// The kiosk's own device key; head office certifies it at enrolment.
	const kioskID = "ALM-001-K1"
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := pack.PublicKeyPEM(key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	pubPath := filepath.Join(dir, "device-ed25519.pub")
	if err := os.WriteFile(pubPath, pubPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	// The test's signatures are time-stamped on packtest's fixed clock, in
	// the past: the kiosk CA issues the device certificate as of then, so
	// it was valid when they were signed. enrol keeps a valid one.
	early, err := pki.LoadOrCreate(filepath.Join(data, "pki"), packtest.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := early.DeviceCert(filepath.Join(data, "pki"), kioskID, key.Public().(ed25519.PublicKey)); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runHO(t, append([]string{"enrol", kioskID, "--data", data, "--device-pub", pubPath}, store...)...)
	if code != 0 || errOut != "" {
		t.Fatalf("enrol: exit %d\n%s%s", code, out, errOut)
	}
	caPath := field(t, out, `CA certificate \(sync.ca_cert\): (\S+)`)
	certPath := field(t, out, `client certificate \(sync.client_cert\): (\S+)`)
	keyPath := field(t, out, `client key \(sync.client_key\): (\S+)`)
	devPath := field(t, out, `device certificate \(device.cert\): (\S+)`)
	if strings.Contains(out, "device key (install") {
		t.Errorf("a device key made though the kiosk's was given:\n%s", out)
	}
	devPEM, err := os.ReadFile(devPath)
	if err != nil {
		t.Fatal(err)
	}
	k := packtest.Kiosk{ID: kioskID, Key: key, CertPEM: devPEM}
	// What the kiosk checks at start: this certificate is its own.
	if _, err := pack.LoadDeviceCert(devPath, key, kioskID, time.Now()); err != nil {
		t.Fatalf("the enrolled device certificate: %v", err)
	}
	const id = packtest.PackageID
	zipBytes := k.Build(t, k.Files(t, s))
	// Altered evidence with its manifest recomputed.
	forged := packtest.Forge(t, zipBytes, packtest.Forgery{Edit: map[string]func([]byte) []byte{
		pack.NameEvidence: packtest.EditEvidence(t, func(m map[string]any) { packtest.FailBiometrics(m); m["kiosk"] = "ALM-001-K9" }),
	}})

	limit := debug.SetMemoryLimit(-1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// start runs one head office over data and the store.
	start := func() (apiURL, dlURL string, done chan int, sOut, sErr *logtest.Buffer) {
		sOut, sErr, done = &logtest.Buffer{}, &logtest.Buffer{}, make(chan int, 1)
		go func() {
			done <- runHeadOffice(ctx, append([]string{"--listen", "127.0.0.1:0", "--download-listen", "127.0.0.1:0",
				"--data", data, "--roots", roots}, store...), sOut, sErr)
		}()
		waitLine(t, sOut, sErr, done, regexp.MustCompile(`enrolled kiosks: 1 in service, 0 revoked`))
		return field(t, sOut.String(), `head office: (https://\S+)`), field(t, sOut.String(), `downloads: +(http://\S+)`), done, sOut, sErr
	}
	apiURL, dlURL, done, sOut, sErr := start()
	if got := field(t, sOut.String(), `CA certificate: (\S+)`); got != caPath {
		t.Errorf("CA %s, enrol printed %s", got, caPath)
	}
	cfg, err := pki.ClientTLS(caPath, certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	newClient := func() *http.Client {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg.Clone()}, Timeout: 30 * time.Second}
		t.Cleanup(c.CloseIdleConnections)
		return c
	}
	putTo := func(apiURL string, c *http.Client, body []byte) (int, headoffice.ErrorBody, error) {
		req, err := http.NewRequest(http.MethodPut, apiURL+"/v1/packages/"+id, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Digest", headoffice.ContentDigest(body))
		resp, err := c.Do(req)
		if err != nil {
			return 0, headoffice.ErrorBody{}, err
		}
		defer resp.Body.Close()
		var eb headoffice.ErrorBody
		b, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(b, &eb)
		return resp.StatusCode, eb, nil
	}
	put := func(c *http.Client, body []byte) (int, headoffice.ErrorBody, error) { return putTo(apiURL, c, body) }
	client := newClient()
	if code, eb, err := put(client, forged); err != nil || code != http.StatusUnprocessableEntity || eb.Check != pack.CheckManifestSignature {
		t.Fatalf("forged evidence: %d %+v %v", code, eb, err)
	}
	dlURLs := []string{dlURL}
	waitB := func() {}
	if replicas {
		// A second replica over the same database, data and link key; the
		// same package sent to both at once is stored once.
		apiB, dlB, doneB, _, errB := start()
		dlURLs = append(dlURLs, dlB)
		codes := make(chan int, 2)
		for _, u := range []string{apiURL, apiB} {
			go func() {
				code, eb, err := putTo(u, newClient(), zipBytes)
				if err != nil {
					t.Errorf("PUT to %s: %v %+v", u, err, eb)
				}
				codes <- code
			}()
		}
		if a, b := <-codes, <-codes; a+b != http.StatusCreated+http.StatusOK || a == b {
			t.Fatalf("the same package to two replicas at once: %d and %d, want 201 and 200", a, b)
		}
		waitB = func() {
			if code := <-doneB; code != 0 {
				t.Errorf("replica B: exit %d: %s", code, errB.String())
			}
		}
	} else {
		for _, want := range []int{http.StatusCreated, http.StatusOK} {
			if code, eb, err := put(client, zipBytes); err != nil || code != want {
				t.Fatalf("PUT: %d %+v %v, want %d", code, eb, err, want)
			}
		}
	}
	// A download link works from every replica: the link key is shared
	// configuration (link.key), the link its documented HMAC.
	linkKey, err := os.ReadFile(filepath.Join(data, "link.key"))
	if err != nil {
		t.Fatal(err)
	}
	exp := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	mac := hmac.New(sha256.New, linkKey)
	mac.Write([]byte(id + "|" + exp))
	for _, u := range dlURLs {
		resp, err := http.Get(u + "/v1/p/" + id + "?exp=" + exp + "&sig=" + hex.EncodeToString(mac.Sum(nil)) + "&format=zip")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.Equal(b, zipBytes) {
			t.Errorf("download from %s: %d, %d bytes", u, resp.StatusCode, len(b))
		}
	}
	if got, err := held(data, id); err != nil || !bytes.Equal(got, zipBytes) {
		t.Errorf("stored package: %v", err)
	}

	// The kiosk's heartbeat, kept in the store and listed with the register.
	beat := heartbeat.Sender{Client: client, BaseURL: apiURL, Collect: func(context.Context) (heartbeat.Beat, error) {
		return heartbeat.Beat{Version: "test", Pending: 3, Camera: heartbeat.CameraOK, FreeDisk: 2e9}, nil
	}}
	if ack, err := beat.Send(context.Background()); err != nil || ack.ReceivedAt.IsZero() {
		t.Fatalf("heartbeat: %+v %v", ack, err)
	}
	if code, out, _ := runHO(t, append([]string{"kiosks", "--data", data}, store...)...); code != 0 ||
		!strings.Contains(out, "test, outbox 3 pending 0 dead, camera ok") || strings.Contains(out, "SILENT") {
		t.Errorf("kiosks after a beat: exit %d\n%s", code, out)
	}

	// Revoked while head office runs: a new connection is refused at once.
	code, out, errOut = runHO(t, append([]string{"revoke", kioskID, "--data", data}, store...)...)
	if code != 0 || !strings.Contains(out, "kiosk ALM-001-K1 revoked at ") || !strings.Contains(out, "kiosk_revoked") {
		t.Fatalf("revoke: exit %d\n%s%s", code, out, errOut)
	}
	if _, _, err := put(newClient(), zipBytes); err == nil {
		t.Error("a revoked kiosk's new connection was accepted")
	}
	code, out, _ = runHO(t, append([]string{"kiosks", "--data", data}, store...)...)
	if code != 0 || !regexp.MustCompile(`ALM-001-K1\trevoked \S+\tenrolled \S+\t1 device certificate`).MatchString(out) {
		t.Errorf("kiosks: exit %d\n%s", code, out)
	}
	// A revoked kiosk is never enrolled again.
	if code, _, errOut := runHO(t, append([]string{"enrol", kioskID, "--data", data, "--device-pub", pubPath}, store...)...); code != 1 || !strings.Contains(errOut, "revoked") {
		t.Errorf("enrol a revoked kiosk: exit %d %s", code, errOut)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d: %s", code, sErr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no graceful shutdown")
	}
	if strings.Contains(sErr.String(), "900101300123") {
		t.Error("log holds the IIN")
	}
	if !strings.Contains(sErr.String(), "kiosk revoked") {
		t.Errorf("the refused connection left no trace:\n%s", sErr.String())
	}
	waitB()
	// (Two head offices in one test process set and restore the limit
	// in either order; each replica is its own process in service.)
	if got := debug.SetMemoryLimit(-1); got != limit && !replicas {
		t.Errorf("memory limit %d after the command, want it restored to %d", got, limit)
	}
	debug.SetMemoryLimit(limit)
}

// enrol without the kiosk's key makes one to install on it.
func TestHeadOfficeEnrolMakesDeviceKey(t *testing.T) {
	data := t.TempDir()
	code, out, errOut := runHO(t, "enrol", "ALM-002-K7", "--data", data)
	if code != 0 || errOut != "" {
		t.Fatalf("enrol: exit %d\n%s%s", code, out, errOut)
	}
	keyPath := field(t, out, `device key \(install as <kiosk data_dir>/device-ed25519.key, mode 0600\): (\S+)`)
	devPath := field(t, out, `device certificate \(device.cert\): (\S+)`)
	st, err := os.Stat(keyPath)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("device key: %v %v", st, err)
	}
	// Installed as the kiosk's device key, it is what the certificate
	// certifies.
	kioskData := t.TempDir()
	b, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(kioskData, pack.DeviceKeyFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
	key, err := pack.LoadOrCreateDeviceKey(kioskData)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pack.LoadDeviceCert(devPath, key, "ALM-002-K7", time.Now()); err != nil {
		t.Fatalf("device certificate for the made key: %v", err)
	}
	// Again: the same key and certificate.
	code, out2, _ := runHO(t, "enrol", "ALM-002-K7", "--data", data)
	if code != 0 || field(t, out2, `device certificate \(device.cert\): (\S+)`) != devPath {
		t.Fatalf("enrol again: exit %d\n%s", code, out2)
	}
	if code, out, _ := runHO(t, "kiosks", "--data", data); code != 0 || !strings.Contains(out, "ALM-002-K7\tin service\t") {
		t.Errorf("kiosks: exit %d\n%s", code, out)
	}
	if code, _, errOut := runHO(t, "revoke", "ALM-002-K8", "--data", data); code != 1 || !strings.Contains(errOut, "not enrolled") {
		t.Errorf("revoke unknown: exit %d %s", code, errOut)
	}
	if code, _, errOut := runHO(t, "enrol", "-h"); code != 0 || !strings.Contains(errOut, "usage:") {
		t.Errorf("enrol -h: exit %d %s", code, errOut)
	}
}
