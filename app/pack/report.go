package pack

import (
	"time"

	"almatel.kz/signkiosk/app/cades"
)

// Report is a package's validation report: the signature's ETSI-style
// report (cades.Report) with the package's own findings and checks beside
// it. Its indication is TOTAL_FAILED when the package has any problem or a
// failed check, else INDETERMINATE when the signature or a package check
// is undecided, else TOTAL_PASSED. It holds no personal data beyond the
// signer's common name.
type Report struct {
	cades.Report
	Package PackageFindings `json:"package"`
}

// PackageFindings are what the package check found outside the signature.
type PackageFindings struct {
	Files             int       `json:"files"`
	PackageID         string    `json:"package_id,omitempty"`
	TicketID          string    `json:"ticket_id,omitempty"`
	OrderID           string    `json:"order_id,omitempty"`
	Kiosk             string    `json:"kiosk,omitempty"` // the device certificate's kiosk id
	SignedAt          time.Time `json:"signed_at,omitzero"`
	ManifestSignature string    `json:"manifest_signature"`
	// Device names the device certificate (device.pem) when it parses.
	Device *cades.CertInfo `json:"device,omitempty"`
	// Checks are the manifest's and the device certificate's, in the
	// manner of the signature's (Check* constants); head office adds its
	// own (enrolled, not revoked, the delivering kiosk) to a report it keeps.
	Checks   []cades.Check `json:"checks"`
	Problems []string      `json:"problems"`
}

// Report makes the package's report from a Verify result.
func (s Summary) Report(probs []Problem) Report {
	var r Report
	if s.Result != nil {
		r.Report = s.Result.Report
		r.Checks = append([]cades.Check(nil), r.Checks...)
	} else {
		r.Indication, r.SubIndication = cades.TotalFailed, "FORMAT_FAILURE"
		r.Reason = "the package holds no signature to validate"
		r.Checks = []cades.Check{}
	}
	r.Package = PackageFindings{Files: s.Files, PackageID: s.PackageID, TicketID: s.TicketID, OrderID: s.OrderID,
		Kiosk: s.Kiosk, SignedAt: s.SignedAt, ManifestSignature: s.ManifestSigned,
		Checks: append([]cades.Check{}, s.Checks...), Problems: []string{}}
	if c := s.Device; c != nil {
		r.Package.Device = &cades.CertInfo{CommonName: c.Subject.CommonName, Serial: c.SerialNumber.Text(16),
			Issuer: c.Issuer.String(), NotBefore: c.NotBefore, NotAfter: c.NotAfter}
	}
	for _, p := range probs {
		r.Package.Problems = append(r.Package.Problems, string(p))
	}
	// The signature's failure is named first; then the package's; an
	// undecided package check leaves a valid signature INDETERMINATE.
	failed, undecided := firstWith(s.Checks, cades.Failed), firstWith(s.Checks, cades.Undecided)
	switch {
	case r.Indication == cades.TotalFailed:
	case failed != nil:
		r.Indication, r.SubIndication, r.Reason = cades.TotalFailed, failed.SubIndication, "package: "+failed.ID+": "+failed.Reason
	case len(probs) > 0:
		r.Indication, r.SubIndication, r.Reason = cades.TotalFailed, "FORMAT_FAILURE", "package: "+string(probs[0])
	case r.Indication == cades.Indeterminate:
	case undecided != nil:
		r.Indication, r.SubIndication, r.Reason = cades.Indeterminate, undecided.SubIndication, "package: "+undecided.ID+": "+undecided.Reason
	case len(s.Checks) > 0:
		r.Reason = "the package is intact, signed by a trusted kiosk, and its signature is long-term valid: every check passed"
	}
	return r
}

// Failing returns the check a refusal names: the signature's first failed
// check, else the package's, else the first undecided one (the
// signature's, then the package's); nil when every check passed.
func (r Report) Failing() *cades.Check {
	for _, st := range []cades.Status{cades.Failed, cades.Undecided} {
		if c := firstWith(r.Checks, st); c != nil {
			return c
		}
		if c := firstWith(r.Package.Checks, st); c != nil {
			return c
		}
	}
	return nil
}

func firstWith(cs []cades.Check, st cades.Status) *cades.Check {
	for i := range cs {
		if cs[i].Status == st {
			return &cs[i]
		}
	}
	return nil
}
