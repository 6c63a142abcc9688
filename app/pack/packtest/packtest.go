// Package packtest builds real signed packages for tests: a full session
// with the provider simulator over HTTP, the signature sealed long-term by
// the simulated national CA's TSA and OCSP responder (over HTTP too), the
// electronic-document card, then pack.Build.
package packtest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"image/jpeg"
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
)

const apiKey = "packtest-key"

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

// Env is a running simulator with its national CA, and a device key.
type Env struct {
	Client *provider.Client
	Sim    *sim.Simulator
	PKI    *ncasim.PKI
	Sealer *cades.Sealer
	Key    ed25519.PrivateKey
	NCAURL string // the national CA's services' base URL
}

// NewEnv starts a simulator and its national CA for the test's lifetime:
// the CA's services under /nca/, the provider's API beside them.
func NewEnv(t testing.TB) *Env {
	t.Helper()
	srv := simtest.Start(t, sim.Config{APIKey: apiKey, Log: zerolog.Nop(), Now: Now})
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Env{Client: provider.NewClient(srv.URL+"/", apiKey, nil, 30*time.Second), Sim: srv.Sim, PKI: srv.PKI,
		Sealer: srv.Sealer(Now), Key: key, NCAURL: srv.NCAURL}
}

// Roots trusts the env's national CA root.
func (e *Env) Roots() *x509.CertPool {
	roots := x509.NewCertPool()
	roots.AddCert(e.PKI.Root())
	return roots
}

// RootPEM is the env's national CA root, PEM.
func (e *Env) RootPEM() []byte { return e.PKI.RootPEM() }

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
	_, err = e.Client.Biometrics(ctx, sess.SessionID, provider.BiometricsRequest{Challenge: "turn_left", Frames: FaceJPEGs(t, 2)})
	must(err)
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
		"ticket_id": "T-1", "office": "ALM-001", "staff": "S-0042", "kiosk": "K-01",
		"order_id": s.OrderID, "lang": "kk", "provider_session_id": "p-1",
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

// Files are the pack inputs for s with its card and default evidence.
func Files(t testing.TB, s Signed) pack.Files {
	return pack.Files{PDF: s.PDF, CMS: s.CMS, SignerPEM: s.Cert, ChainPEM: s.Chain, Card: Card(t, s), Evidence: Evidence(t, s, nil)}
}

// Build packs f with the env's device key.
func (e *Env) Build(t testing.TB, f pack.Files) []byte {
	t.Helper()
	z, err := pack.Build(f, e.Key)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// DevicePub is the env's device public key.
func (e *Env) DevicePub() ed25519.PublicKey { return e.Key.Public().(ed25519.PublicKey) }

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
