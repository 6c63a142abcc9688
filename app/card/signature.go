package card

import (
	"crypto/x509"
	"fmt"
	"math/big"
	"strings"

	"github.com/go-pdf/fpdf"

	"almatel.kz/signkiosk/app/document"
)

// Attribute types the signer's details are read from.
const (
	oidCN           = "2.5.4.3"
	oidSerialNumber = "2.5.4.5"
	oidGivenName    = "2.5.4.42" // the national CA puts the patronymic here
	oidOrg          = "2.5.4.10"
	oidOrgUnit      = "2.5.4.11" // "BIN…" in the national CA's legal-entity names
)

// signature draws signature n's page: who signed, with which certificate,
// when, and the time stamp's and OCSP response's details.
func (c *layout) signature(f *fpdf.Fpdf, r *document.Renderer, n int, s Signature) {
	l := func(k string) string { return label(c.lang, k) }
	cert := s.Signer
	f.SetFont(font, "B", 13)
	f.SetTextColor(0, 0, 0)
	f.MultiCell(contentWidth(f), 7, fmt.Sprintf(l("sig_title"), n), "", "L", false)
	f.Ln(2)

	signer := []document.Row{
		{Label: l("name"), Value: orNone(signerName(cert))},
		{Label: l("iin"), Value: orNone(strings.TrimPrefix(nameAttr(cert.RawSubject, oidSerialNumber), "IIN"))},
	}
	if org := nameAttr(cert.RawSubject, oidOrg); org != "" {
		signer = append(signer, document.Row{Label: l("org"), Value: org})
		if bin, ok := strings.CutPrefix(nameAttr(cert.RawSubject, oidOrgUnit), "BIN"); ok {
			signer = append(signer, document.Row{Label: l("bin"), Value: bin})
		}
	}
	signer = append(signer, document.Row{Label: l("subject"), Value: rfc4514(cert.RawSubject)})
	r.Section(l("signer"), signer)

	r.Section(l("certificate"), []document.Row{
		{Label: l("serial"), Value: hexSerial(cert.SerialNumber)},
		{Label: l("valid_from"), Value: c.clock.stamp(cert.NotBefore)},
		{Label: l("valid_to"), Value: c.clock.stamp(cert.NotAfter)},
		{Label: l("template"), Value: templates(c.lang, cert)},
		{Label: l("key_usage"), Value: keyUsageText(c.lang, cert.KeyUsage)},
		{Label: l("ext_key_usage"), Value: extKeyUsages(c.lang, cert)},
		{Label: l("issuer"), Value: rfc4514(cert.RawIssuer)},
	})
	r.Section(l("signing"), []document.Row{
		{Label: l("gen_time"), Value: c.clock.stamp(s.GenTime)},
		{Label: l("file"), Value: s.CMSName + "\n" + c.digest(s.CMS)},
	})
	ts := s.TimeStamp
	r.Section(l("tsp"), []document.Row{
		{Label: l("tsa"), Value: orNone(ts.TSA)},
		{Label: l("tsp_serial"), Value: hexSerial(ts.Serial)},
		{Label: l("tsp_policy"), Value: orNone(oidText(c.lang, ts.Policy))},
		{Label: l("tsp_time"), Value: c.clock.stamp(ts.GenTime)},
	})
	o := s.OCSP
	r.Section(l("ocsp"), []document.Row{
		{Label: l("responder"), Value: orNone(o.Responder)},
		{Label: l("status"), Value: c.status(o.Status)},
		{Label: l("produced_at"), Value: c.clock.stamp(o.ProducedAt)},
		{Label: l("this_update"), Value: c.clock.stamp(o.ThisUpdate)},
		{Label: l("next_update"), Value: c.clock.stamp(o.NextUpdate)},
	})
}

// signerName is the certificate's CN, with the patronymic the national CA
// keeps in GIVENNAME when the CN lacks it.
func signerName(cert *x509.Certificate) string {
	cn := nameAttr(cert.RawSubject, oidCN)
	if given := nameAttr(cert.RawSubject, oidGivenName); given != "" && !strings.Contains(cn, given) {
		return strings.TrimSpace(cn + " " + given)
	}
	return cn
}

func (c *layout) status(s string) string {
	switch s {
	case "good", "revoked", "unknown":
		return label(c.lang, s)
	}
	return orNone(s)
}

func hexSerial(n *big.Int) string {
	if n == nil {
		return "—"
	}
	return strings.ToUpper(n.Text(16))
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}
