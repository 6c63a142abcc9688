package pack

import (
	"time"

	"almatel.kz/signkiosk/app/cades"
)

// Report is a package's validation report: the signature's ETSI-style
// report (cades.Report) with the package's own findings beside it. Its
// indication is TOTAL_FAILED when the package has any problem, else the
// signature's. It holds no personal data beyond the signer's common name.
type Report struct {
	cades.Report
	Package PackageFindings `json:"package"`
}

// PackageFindings are what the package check found outside the signature.
type PackageFindings struct {
	Files             int       `json:"files"`
	OrderID           string    `json:"order_id,omitempty"`
	SignedAt          time.Time `json:"signed_at,omitzero"`
	ManifestSignature string    `json:"manifest_signature"`
	Problems          []string  `json:"problems"`
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
	r.Package = PackageFindings{Files: s.Files, OrderID: s.OrderID, SignedAt: s.SignedAt, ManifestSignature: s.ManifestSigned, Problems: []string{}}
	for _, p := range probs {
		r.Package.Problems = append(r.Package.Problems, string(p))
	}
	if len(probs) > 0 && r.Indication != cades.TotalFailed {
		r.Indication, r.SubIndication, r.Reason = cades.TotalFailed, "FORMAT_FAILURE", "package: "+string(probs[0])
	}
	return r
}
