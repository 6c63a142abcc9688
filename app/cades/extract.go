package cades

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"

	"almatel.kz/signkiosk/app/cms"
)

// Extract file names, so independent tools can check each part:
//
//	openssl ts -reply -in timestamp.tsr -text
//	openssl ts -verify -data signature-value.bin -in timestamp.tsr -CAfile ROOT -untrusted certs.pem
//	openssl ocsp -respin ocsp.der -CAfile ROOT -issuer issuer.pem -cert signer.pem
const (
	ExtractToken     = "timestamp.tst"       // the bare token (ContentInfo)
	ExtractReply     = "timestamp.tsr"       // the token as a granted TimeStampResp
	ExtractImprinted = "signature-value.bin" // the bytes the token is over
	ExtractOCSP      = "ocsp.der"            // OCSPResponse
	ExtractSigner    = "signer.pem"
	ExtractIssuer    = "issuer.pem"
	ExtractCerts     = "certs.pem" // every certificate of the CMS
	ExtractTSA       = "tsa.pem"
	ExtractResponder = "ocsp-responder.pem"
)

// timeStampResp is RFC 3161's TimeStampResp with status granted.
type timeStampResp struct {
	Status struct{ Status int }
	Token  asn1.RawValue
}

// Extract writes what a validation found into dir (made if needed) and
// returns the names written. Only parts that were found are written.
func Extract(cmsDER []byte, res Result, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	files := map[string][]byte{}
	if p, err := cms.Parse(cmsDER); err == nil {
		files[ExtractImprinted] = p.Signer.Signature
	}
	if res.Token != nil {
		files[ExtractToken] = res.Token.Raw
		reply, err := asn1.Marshal(timeStampResp{Token: asn1.RawValue{FullBytes: res.Token.Raw}})
		if err != nil {
			return nil, fmt.Errorf("extract: %w", err)
		}
		files[ExtractReply] = reply
		if res.Token.Signer != nil {
			files[ExtractTSA] = pemOf(res.Token.Signer)
		}
	}
	if res.OCSPRaw != nil {
		files[ExtractOCSP] = res.OCSPRaw
		if res.OCSP.Certificate != nil {
			files[ExtractResponder] = pemOf(res.OCSP.Certificate)
		}
	}
	if res.Signer != nil {
		files[ExtractSigner] = pemOf(res.Signer)
		if iss := issuerOf(res.Signer, res.Certs); iss != nil {
			files[ExtractIssuer] = pemOf(iss)
		}
	}
	if len(res.Certs) > 0 {
		files[ExtractCerts] = pemOf(res.Certs...)
	}
	var names []string
	for _, n := range []string{ExtractToken, ExtractReply, ExtractImprinted, ExtractOCSP, ExtractSigner, ExtractIssuer, ExtractCerts, ExtractTSA, ExtractResponder} {
		b, ok := files[n]
		if !ok {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o600); err != nil {
			return names, fmt.Errorf("extract: %w", err)
		}
		names = append(names, n)
	}
	return names, nil
}

func pemOf(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}
