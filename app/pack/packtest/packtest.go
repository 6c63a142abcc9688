// Package packtest builds real signed packages for tests: a full session
// with the provider simulator over HTTP, the signature sealed long-term by
// the simulated national CA's TSA and OCSP responder (over HTTP too), the
// electronic-document card, then pack.Build with a kiosk's device key and
// the device certificate a test kiosk CA (sync/pki, as head office's) issued
// for it. Forge makes what an attacker could of such a package.
package packtest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"image/jpeg"
	"os"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/cades"
	"almatel.kz/signkiosk/app/card"
	"almatel.kz/signkiosk/app/document"
	"almatel.kz/signkiosk/app/ncasim"
	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/provider/sim"
	"almatel.kz/signkiosk/app/provider/sim/simtest"
	"almatel.kz/signkiosk/app/ticket"
	"almatel.kz/signkiosk/camera"
	"almatel.kz/signkiosk/sync/pki"
)

const apiKey = "packtest-key"

// PackageID is the id Files gives every package; tests that file one
// package under several ids set pack.Files.PackageID themselves.
const PackageID = "0b7f3c2e-5a61-4d8e-9c1a-2f3e4d5c6b7a"

// KioskID is the env's own kiosk, the one Evidence names.
const KioskID = "K-01"

// Now is the simulator's fixed clock, and so the signing time.
func Now() time.Time { return time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC) }

// Signed is what a session gives a kiosk to pack.
type Signed struct {
	IIN     string
	OrderID string
	PDF     []byte
	CMS     []byte    // long-term: time stamp and OCSP proof inside
	BES     []byte    // the provider's CMS before sealing
	GenTime time.Time // the time stamp's
	Cert    string    // signer PEM
	Chain   string    // chain PEM
}

// Env is a running simulator with its national CA, a test kiosk CA and
// one kiosk enrolled with it.
type Env struct {
	Client  *provider.Client
	Sim     *sim.Simulator
	PKI     *ncasim.PKI
	Sealer  *cades.Sealer
	KioskCA *pki.PKI // issues device certificates, as head office's does
	Kiosk   Kiosk    // KioskID, the kiosk Build packs as
	Key     ed25519.PrivateKey
	NCAURL  string // the national CA's services' base URL
}

// Kiosk is an enrolled kiosk: its device key and the device certificate
// (device.pem) its CA issued for it.
type Kiosk struct {
	ID      string
	Key     ed25519.PrivateKey
	CertPEM []byte
}

// NewEnv starts a simulator and its national CA for the test's lifetime:
// the CA's services under /nca/, the provider's API beside them; and a
// kiosk CA (on the same fixed clock) with the kiosk KioskID.
func NewEnv(t testing.TB) *Env {
	t.Helper()
	srv := simtest.Start(t, sim.Config{APIKey: apiKey, Log: zerolog.Nop(), Now: Now})
	ca, err := pki.LoadOrCreate(t.TempDir(), Now)
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{Client: provider.NewClient(srv.URL+"/", apiKey, nil, 30*time.Second), Sim: srv.Sim, PKI: srv.PKI,
		Sealer: srv.Sealer(Now), KioskCA: ca, NCAURL: srv.NCAURL}
	// The provider takes biometric frames signed by this CA's kiosks only.
	if err := srv.Sim.TrustKiosks(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.CA.Raw})); err != nil {
		t.Fatal(err)
	}
	e.Kiosk = e.NewKiosk(t, KioskID)
	e.Key = e.Kiosk.Key
	return e
}

// NewKiosk enrols another kiosk with the env's kiosk CA: a fresh device
// key and its device certificate.
func (e *Env) NewKiosk(t testing.TB, id string) Kiosk {
	t.Helper()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return Kiosk{ID: id, Key: key, CertPEM: IssueDevice(t, e.KioskCA, id, key.Public().(ed25519.PublicKey))}
}

// IssueDevice has ca issue kiosk id's device certificate for pub, PEM.
func IssueDevice(t testing.TB, ca *pki.PKI, id string, pub ed25519.PublicKey) []byte {
	t.Helper()
	path, err := ca.DeviceCert(t.TempDir(), id, pub)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Cert is the kiosk's device certificate, parsed.
func (k Kiosk) Cert(t testing.TB) *x509.Certificate {
	t.Helper()
	c, _, err := pack.ParseDeviceCert(k.CertPEM)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Pub is the kiosk's device public key.
func (k Kiosk) Pub() ed25519.PublicKey { return k.Key.Public().(ed25519.PublicKey) }

// Files are the pack inputs for s as this kiosk packs them (its id in the
// evidence).
func (k Kiosk) Files(t testing.TB, s Signed) pack.Files {
	f := Files(t, s)
	f.Evidence = Evidence(t, s, func(m map[string]any) { m["kiosk"] = k.ID })
	return f
}

// Build packs f with the kiosk's device key and certificate.
func (k Kiosk) Build(t testing.TB, f pack.Files) []byte {
	t.Helper()
	f.DeviceCert = k.CertPEM
	z, err := pack.Build(f, k.Key)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// Roots trusts everything the env's packages chain to: the national CA's
// root and the kiosk CA (what `verify --roots` is given).
func (e *Env) Roots() *x509.CertPool {
	roots := e.NationalRoots()
	roots.AddCert(e.KioskCA.CA)
	return roots
}

// NationalRoots trusts the env's national CA root only.
func (e *Env) NationalRoots() *x509.CertPool {
	roots := x509.NewCertPool()
	roots.AddCert(e.PKI.Root())
	return roots
}

// KioskRoots trusts the env's kiosk CA only.
func (e *Env) KioskRoots() *x509.CertPool {
	roots := x509.NewCertPool()
	roots.AddCert(e.KioskCA.CA)
	return roots
}

// RootPEM is the env's national CA root, PEM.
func (e *Env) RootPEM() []byte { return e.PKI.RootPEM() }

// KioskRootPEM is the env's kiosk CA certificate, PEM.
func (e *Env) KioskRootPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.KioskCA.CA.Raw})
}

// RootsPEM is Roots as PEM: the national root, then the kiosk CA.
func (e *Env) RootsPEM() []byte { return append(e.RootPEM(), e.KioskRootPEM()...) }

// Sign runs one whole session for iin, signs pdf, and seals the signature
// long-term as the kiosk does.
func (e *Env) Sign(t testing.TB, iin string, pdf []byte) Signed {
	t.Helper()
	s := e.SignBES(t, iin, pdf)
	sealed, genTime, err := e.Sealer.Seal(context.Background(), s.BES, pdf)
	if err != nil {
		t.Fatal(err)
	}
	s.CMS, s.GenTime = sealed, genTime
	return s
}

// SignBES runs one whole session for iin and signs pdf: the provider's
// signature only, not yet sealed (CMS is nil).
func (e *Env) SignBES(t testing.TB, iin string, pdf []byte) Signed {
	t.Helper()
	ctx := context.Background()
	const password = "Secret#2026"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	sess, err := e.Client.CreateSession(ctx, provider.CreateSessionRequest{
		OrderID: "ORD-2026-000123", IIN: iin, Phone: "+77011234567", Lang: "kk",
		Surname: "Сәрсенбаев", Given: "Нұрлан", Patronymic: "Қайратұлы",
	})
	must(err)
	code, ok := e.Sim.LastCode(sess.SessionID)
	if !ok {
		t.Fatal("no SMS code")
	}
	_, err = e.Client.SubmitCode(ctx, sess.SessionID, code)
	must(err)
	textSum := sha256.Sum256([]byte("consent text"))
	consent := func(kind string) provider.ConsentRequest {
		return provider.ConsentRequest{Kind: kind, TextSHA256: hex.EncodeToString(textSum[:]), Lang: "kk", AcceptedAt: Now()}
	}
	must(e.Client.Consent(ctx, sess.SessionID, consent(provider.ConsentPrivacy)))
	// An honest attempt passes (0 of 300 refused here); one judged
	// "retry" — the synthetic frames carry random grain — is tried again,
	// as a subscriber would, and said in the log.
	for {
		bio, err := simtest.Device{Key: e.Kiosk.Key, Cert: e.Kiosk.CertPEM}.AttemptAt(t, Now, e.Client, sess.SessionID)
		must(err)
		if bio.Decision == provider.DecisionPass {
			break
		}
		if bio.Decision != provider.DecisionRetry || bio.AttemptsLeft <= 0 {
			t.Fatalf("an honest biometric attempt was refused: %s (%s)", bio.Decision, bio.Reason)
		}
		t.Logf("an honest biometric attempt judged %s (%s); again", bio.Decision, bio.Reason)
	}
	must(e.Client.Consent(ctx, sess.SessionID, consent(provider.ConsentEDSRules)))
	certs, err := e.Client.Certificate(ctx, sess.SessionID, password)
	must(err)
	d := sha256.Sum256(pdf)
	sig, err := e.Client.Sign(ctx, sess.SessionID, provider.SignRequest{DocumentSHA256: hex.EncodeToString(d[:]), Password: password})
	must(err)
	return Signed{IIN: iin, OrderID: "ORD-2026-000123", PDF: pdf, BES: sig.CMS, Cert: certs.Certificate, Chain: certs.Chain}
}

// Card is the electronic-document card of s, over the demo order's
// application (the card's pages need one; s.PDF is embedded as it is).
func Card(t testing.TB, s Signed) []byte {
	t.Helper()
	res := cades.Validate(s.CMS, s.PDF, cades.Options{At: s.GenTime})
	if res.Signer == nil || res.Token == nil || res.OCSP == nil {
		t.Fatalf("card: signature not sealed: %s", res.Report.Reason)
	}
	app := document.Build("kk", ticket.DemoOrder(), nil, Now(), "Demo clause.")
	b, err := card.Build(card.Input{
		Lang: "kk", Application: app, PDF: s.PDF, PDFName: pack.NamePDF, Created: s.GenTime, IssuedBy: "signkiosk test, kiosk K-01",
		Signatures: []card.Signature{{
			CMS: s.CMS, CMSName: pack.NameCMS, Signer: res.Signer, GenTime: res.Token.GenTime,
			TimeStamp: card.TimeStampInfo{Serial: res.Token.Serial, Policy: res.Token.Policy.String(), GenTime: res.Token.GenTime},
			OCSP: card.OCSPInfo{Status: res.Report.OCSP.Status, Responder: res.Report.OCSP.Responder,
				ProducedAt: res.OCSP.ProducedAt, ThisUpdate: res.OCSP.ThisUpdate, NextUpdate: res.OCSP.NextUpdate},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Evidence returns an evidence.json for s, with edit applied to its fields.
func Evidence(t testing.TB, s Signed, edit func(map[string]any)) []byte {
	t.Helper()
	d := sha256.Sum256(s.PDF)
	ev := map[string]any{
		"ticket_id": "T-1", "office": "ALM-001", "staff": "S-0042", "kiosk": KioskID,
		"order_id": s.OrderID, "lang": "kk", "provider_session_id": "p-1",
		"biometrics": []map[string]any{{"decision_id": "d-1", "decision": "pass", "liveness": 0.97, "match": 0.93,
			"challenge_id": "c-1", "moves": []string{"turn_left"}}},
		"document_sha256": hex.EncodeToString(d[:]), "subject_iin": s.IIN,
		"signed_at": Now(), "time_stamped_at": s.GenTime, "app_version": "test",
	}
	if edit != nil {
		edit(ev)
	}
	b, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Files are the pack inputs for s with its card and default evidence (the
// kiosk KioskID), under PackageID; Build adds the device certificate.
func Files(t testing.TB, s Signed) pack.Files {
	return pack.Files{PackageID: PackageID, PDF: s.PDF, CMS: s.CMS, SignerPEM: s.Cert, ChainPEM: s.Chain, Card: Card(t, s),
		Evidence: Evidence(t, s, nil)}
}

// Build packs f as the env's kiosk.
func (e *Env) Build(t testing.TB, f pack.Files) []byte {
	t.Helper()
	return e.Kiosk.Build(t, f)
}

// DevicePub is the env's kiosk's device public key.
func (e *Env) DevicePub() ed25519.PublicKey { return e.Kiosk.Pub() }

// FaceJPEGs are n frames of the demo's synthetic subscriber, JPEG-encoded
// as the kiosk sends them: the simulator judges biometric frames with the
// real face analysis, so test sessions need a face.
func FaceJPEGs(t testing.TB, n int) [][]byte {
	t.Helper()
	src := camera.NewSynthetic(320, 240, 60)
	defer src.Close()
	out := make([][]byte, 0, n)
	for range n {
		img, err := src.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
			t.Fatal(err)
		}
		out = append(out, buf.Bytes())
	}
	return out
}
