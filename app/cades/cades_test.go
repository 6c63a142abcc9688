package cades_test

import (
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/cades"
	"almatel.kz/signkiosk/app/cms"
	"almatel.kz/signkiosk/app/pack/packtest"
	"almatel.kz/signkiosk/app/provider/sim"
	"almatel.kz/signkiosk/app/tsp"
)

const iin = "900101300123"

var doc = []byte("%PDF-1.4 the application\n")

// sealed is one real session: the provider simulator's CAdES-BES made
// long-term by the simulated national CA's TSA and OCSP responder.
func sealed(t *testing.T) (*packtest.Env, packtest.Signed) {
	t.Helper()
	env := packtest.NewEnv(t)
	return env, env.Sign(t, iin, doc)
}

func statusOf(r cades.Report, id string) cades.Check {
	for _, c := range r.Checks {
		if c.ID == id {
			return c
		}
	}
	return cades.Check{}
}

func TestSealedSignaturePassesEveryCheck(t *testing.T) {
	env, s := sealed(t)
	res := cades.Validate(s.CMS, doc, cades.Options{Roots: env.Roots(), Trust: "test", At: packtest.Now().Add(time.Hour)})
	r := res.Report
	if r.Indication != cades.TotalPassed {
		t.Fatalf("indication %s: %s", r.Indication, r.Reason)
	}
	want := []string{cades.CheckFormat, cades.CheckSignerCert, cades.CheckDocumentDigest, cades.CheckSignatureValue,
		cades.CheckTimeStamp, cades.CheckTimeStampSig, cades.CheckTSACert, cades.CheckTSAChain, cades.CheckSigningTime,
		cades.CheckRevocation, cades.CheckOCSPSignature, cades.CheckOCSPChain, cades.CheckOCSPStatus, cades.CheckOCSPFreshness,
		cades.CheckSignerChain, cades.CheckValidationTime}
	if len(r.Checks) != len(want) {
		t.Fatalf("%d checks, want %d: %+v", len(r.Checks), len(want), r.Checks)
	}
	for i, c := range r.Checks {
		if c.ID != want[i] || c.Status != cades.Passed || c.Reason == "" {
			t.Errorf("check %d: %+v, want %s PASSED with a reason", i, c, want[i])
		}
	}
	if r.SigningTime == nil || !r.SigningTime.Equal(s.GenTime) || r.TimeStamp == nil || r.OCSP == nil || r.OCSP.Status != "good" {
		t.Fatalf("report details: %+v", r)
	}
	if d := r.OCSP.ThisUpdate.Sub(*r.SigningTime).Abs(); d > cades.MaxOCSPSkew {
		t.Fatalf("OCSP thisUpdate %v from genTime", d)
	}
	b, err := json.Marshal(r)
	if err != nil || !strings.Contains(string(b), `"indication":"TOTAL_PASSED"`) || strings.Contains(string(b), iin) {
		t.Fatalf("report JSON (no IIN in it): %s %v", b, err)
	}
	// The provider's signature alone is CAdES-BES: not long-term.
	bes := cades.Validate(s.BES, doc, cades.Options{Roots: env.Roots()}).Report
	if bes.Indication != cades.TotalFailed || bes.Failing().ID != cades.CheckTimeStamp || bes.SubIndication != "NO_POE" {
		t.Fatalf("BES: %s %s %+v", bes.Indication, bes.SubIndication, bes.Failing())
	}
}

// In 2036 every certificate has expired; the signature still passes, and
// says why.
func TestValidAfterEveryCertificateExpired(t *testing.T) {
	env, s := sealed(t)
	at := time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC)
	res := cades.Validate(s.CMS, doc, cades.Options{Roots: env.Roots(), At: at})
	if !res.Report.Passed() {
		t.Fatalf("2036: %s", res.Report.Reason)
	}
	if res.Signer.NotAfter.After(at) {
		t.Fatalf("test premise: signer certificate valid until %v", res.Signer.NotAfter)
	}
	c := statusOf(res.Report, cades.CheckValidationTime)
	if !strings.Contains(c.Reason, "expired") || !strings.Contains(c.Reason, "time stamp proves") {
		t.Fatalf("no explanation: %q", c.Reason)
	}
	// Before the signing, nothing can be valid.
	early := cades.Validate(s.CMS, doc, cades.Options{Roots: env.Roots(), At: packtest.Now().Add(-time.Hour)}).Report
	if early.Indication != cades.TotalFailed || early.Failing().ID != cades.CheckValidationTime {
		t.Fatalf("before signing: %s %+v", early.Indication, early.Failing())
	}
}

// Nothing is trusted by default: INDETERMINATE, naming why.
func TestNoRootsIsIndeterminate(t *testing.T) {
	_, s := sealed(t)
	r := cades.Validate(s.CMS, doc, cades.Options{}).Report
	if r.Indication != cades.Indeterminate || !strings.Contains(r.Reason, "no trusted roots") {
		t.Fatalf("%s: %s", r.Indication, r.Reason)
	}
	for _, id := range []string{cades.CheckDocumentDigest, cades.CheckSignatureValue, cades.CheckTimeStampSig, cades.CheckOCSPStatus} {
		if c := statusOf(r, id); c.Status != cades.Passed {
			t.Errorf("%s: %+v (integrity is still checked without roots)", id, c)
		}
	}
}

func TestWrongDocumentAndForeignRoots(t *testing.T) {
	env, s := sealed(t)
	r := cades.Validate(s.CMS, []byte("another document"), cades.Options{Roots: env.Roots()}).Report
	if r.Indication != cades.TotalFailed || r.Failing().ID != cades.CheckDocumentDigest || r.SubIndication != "HASH_FAILURE" {
		t.Fatalf("other document: %s %s %+v", r.Indication, r.SubIndication, r.Failing())
	}
	other := packtest.NewEnv(t)
	r = cades.Validate(s.CMS, doc, cades.Options{Roots: other.Roots()}).Report
	if r.Indication != cades.TotalFailed || r.Failing().ID != cades.CheckTSAChain {
		t.Fatalf("foreign roots: %s %+v", r.Indication, r.Failing())
	}
}

// A time stamp lifted from another signature covers other bytes.
func TestTransplantedTimeStampFails(t *testing.T) {
	env, a := sealed(t)
	b := env.Sign(t, "900101300124", doc)
	pa, err := cms.Parse(a.CMS)
	if err != nil {
		t.Fatal(err)
	}
	tok := pa.UnsignedValues(tsp.OIDSignatureTimeStampToken)
	rv := pa.UnsignedValues(cades.OIDRevocationValues)
	forged, err := cms.AddUnsigned(b.BES, []cms.Attribute{
		{Type: tsp.OIDSignatureTimeStampToken, Values: tok}, {Type: cades.OIDRevocationValues, Values: rv},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := cades.Validate(forged, doc, cades.Options{Roots: env.Roots()}).Report
	if r.Indication != cades.TotalFailed || r.Failing().ID != cades.CheckTimeStampSig {
		t.Fatalf("%s %+v", r.Indication, r.Failing())
	}
	// b's own time stamp with a's OCSP response: a proof about another certificate.
	pb, err := cms.Parse(b.CMS)
	if err != nil {
		t.Fatal(err)
	}
	mixed, err := cms.AddUnsigned(b.BES, []cms.Attribute{
		{Type: tsp.OIDSignatureTimeStampToken, Values: pb.UnsignedValues(tsp.OIDSignatureTimeStampToken)},
		{Type: cades.OIDRevocationValues, Values: rv},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r = cades.Validate(mixed, doc, cades.Options{Roots: env.Roots()}).Report
	if r.Indication != cades.TotalFailed || r.Failing().ID != cades.CheckRevocation {
		t.Fatalf("mixed: %s %+v", r.Indication, r.Failing())
	}
}

// A CMS that already carries both (a real provider's) is kept as it is.
func TestSealKeepsWhatIsThere(t *testing.T) {
	env, s := sealed(t)
	again, genTime, err := env.Sealer.Seal(context.Background(), s.CMS, doc)
	if err != nil || string(again) != string(s.CMS) || !genTime.Equal(s.GenTime) {
		t.Fatalf("reseal changed it: %v", err)
	}
	// One with only the time stamp gets the OCSP proof added.
	p, err := cms.Parse(s.CMS)
	if err != nil {
		t.Fatal(err)
	}
	half, err := cms.AddUnsigned(s.BES, []cms.Attribute{{Type: tsp.OIDSignatureTimeStampToken, Values: p.UnsignedValues(tsp.OIDSignatureTimeStampToken)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	full, gt, err := env.Sealer.Seal(context.Background(), half, doc)
	if err != nil || !gt.Equal(s.GenTime) {
		t.Fatalf("half-sealed: %v", err)
	}
	if r := cades.Validate(full, doc, cades.Options{Roots: env.Roots()}).Report; !r.Passed() {
		t.Fatalf("half-sealed then sealed: %s", r.Reason)
	}
}

// The simulator's triggers: a revoked subscriber, a TSA and an OCSP
// responder that are down. The sealer says which, and gives nothing back.
func TestSealFailures(t *testing.T) {
	env := packtest.NewEnv(t)
	for _, c := range []struct {
		iin  string
		want error
	}{
		{sim.TriggerIINRevoked, cades.ErrRevoked},
		{sim.TriggerIINTSADown, cades.ErrTSAUnavailable},
		{sim.TriggerIINOCSPDown, cades.ErrOCSPUnavailable},
	} {
		t.Run(c.iin, func(t *testing.T) {
			s := env.SignBES(t, c.iin, doc)
			out, _, err := env.Sealer.Seal(context.Background(), s.BES, doc)
			if !errors.Is(err, c.want) || out != nil {
				t.Fatalf("err %v, want %v (out %d bytes)", err, c.want, len(out))
			}
		})
	}
	// A TSA that is not there at all.
	s := env.SignBES(t, iin, doc)
	gone := *env.Sealer
	gone.TSA = &tsp.Client{URL: "http://127.0.0.1:1/tsp"}
	if _, _, err := gone.Seal(context.Background(), s.BES, doc); !errors.Is(err, cades.ErrTSAUnavailable) {
		t.Fatalf("no TSA: %v", err)
	}
	// Nothing trusted: the sealer refuses to hand back what it cannot check.
	blind := *env.Sealer
	blind.Roots = nil
	if _, _, err := blind.Seal(context.Background(), s.BES, doc); err == nil {
		t.Fatal("sealed without roots")
	}
	// Roots of another CA: the result does not validate.
	foreign := *env.Sealer
	foreign.Roots = x509.NewCertPool()
	foreign.Roots.AddCert(packtest.NewEnv(t).PKI.Root())
	if _, _, err := foreign.Seal(context.Background(), s.BES, doc); !errors.Is(err, cades.ErrNotLongTerm) {
		t.Fatalf("foreign roots: %v", err)
	}
}

// Independent tools accept what --extract writes, and the sealed CMS.
func TestOpenSSLAcceptsTheParts(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed (make deps installs it)")
	}
	env, s := sealed(t)
	res := cades.Validate(s.CMS, doc, cades.Options{Roots: env.Roots()})
	dir := t.TempDir()
	names, err := cades.Extract(s.CMS, res, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 9 {
		t.Fatalf("extracted %v", names)
	}
	root := filepath.Join(dir, "root.pem")
	if err := os.WriteFile(root, env.RootPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	in := func(n string) string { return filepath.Join(dir, n) }
	run := func(want string, args ...string) string {
		t.Helper()
		out, err := exec.Command("openssl", args...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), want) {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	text := run("Time stamp:", "ts", "-reply", "-in", in(cades.ExtractReply), "-text")
	if !strings.Contains(text, "Policy OID: "+res.Token.Policy.String()) {
		t.Fatalf("token text:\n%s", text)
	}
	run("Time stamp:", "ts", "-reply", "-in", in(cades.ExtractToken), "-token_in", "-text")
	run("Verification: OK", "ts", "-verify", "-data", in(cades.ExtractImprinted), "-in", in(cades.ExtractReply),
		"-CAfile", root, "-untrusted", in(cades.ExtractCerts))
	// -validity_period: the response is checked as of now, and it was made
	// at the signing, months ago: that is what it proves.
	ocspArgs := []string{"ocsp", "-respin", in(cades.ExtractOCSP), "-CAfile", root, "-verify_other", in(cades.ExtractIssuer),
		"-issuer", in(cades.ExtractIssuer), "-cert", in(cades.ExtractSigner), "-validity_period", "2000000000"}
	run("Response verify OK", append(ocspArgs, "-resp_text")...)
	run(": good", ocspArgs...)
	cmsPath, docPath := in("application.pdf.cms"), in("application.pdf")
	if err := os.WriteFile(cmsPath, s.CMS, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(docPath, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	run("Verification successful", "cms", "-verify", "-binary", "-inform", "DER", "-in", cmsPath, "-content", docPath,
		"-CAfile", root, "-purpose", "any", "-out", os.DevNull)
	// openssl sees both unsigned attributes.
	dump := run("unsignedAttrs", "cms", "-cmsout", "-print", "-inform", "DER", "-in", cmsPath)
	for _, oid := range []asn1.ObjectIdentifier{tsp.OIDSignatureTimeStampToken, cades.OIDRevocationValues} {
		if !strings.Contains(dump, oid.String()) && !strings.Contains(dump, oidName(oid)) {
			t.Errorf("openssl does not show %v", oid)
		}
	}
}

func oidName(oid asn1.ObjectIdentifier) string {
	switch oid.String() {
	case "1.2.840.113549.1.9.16.2.14":
		return "id-smime-aa-timeStampToken"
	case "1.2.840.113549.1.9.16.2.24":
		return "id-smime-aa-ets-revocationValues"
	}
	return oid.String()
}

// Validate never panics and always concludes, whatever the bytes.
func FuzzValidate(f *testing.F) {
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x00})
	if b, err := os.ReadFile("testdata/sealed.cms"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := cades.Validate(b, doc, cades.Options{At: packtest.Now()}).Report
		if r.Indication == "" || len(r.Checks) == 0 {
			t.Fatalf("no conclusion: %+v", r)
		}
		if r.Passed() {
			t.Fatal("passed without trusted roots")
		}
	})
}
