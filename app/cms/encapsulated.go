package cms

import (
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"time"
)

// EncapsulatedOptions tunes SignEncapsulated.
type EncapsulatedOptions struct {
	// SigningTime adds a signing-time attribute when not zero. A time-stamp
	// token leaves it out: its TSTInfo.genTime is the time.
	SigningTime time.Time
	// Hash digests the content and the signed attributes: SHA-256 when
	// zero, or SHA-384 / SHA-512.
	Hash crypto.Hash
	// OmitCertificates leaves cert and chain out of the certificates (a TSA
	// answering a request with certReq false).
	OmitCertificates bool
}

// SignEncapsulated returns a DER ContentInfo holding a SignedData that
// carries content as its eContent of type contentType, signed by key (RSA
// PKCS#1 v1.5 or ECDSA) for cert with the signed attributes content-type,
// message-digest, signing-time (when opts.SigningTime is set) and
// signing-certificate-v2. cert then chain are the certificates unless
// opts.OmitCertificates. The TSA makes its TimeStampTokens with it.
func SignEncapsulated(contentType asn1.ObjectIdentifier, content []byte, key crypto.Signer, cert *x509.Certificate, chain []*x509.Certificate, opts EncapsulatedOptions) ([]byte, error) {
	h := opts.Hash
	if h == 0 {
		h = crypto.SHA256
	}
	if _, ok := HashOID(h); !ok {
		return nil, fmt.Errorf("cms sign: %w", errHash)
	}
	if len(contentType) == 0 {
		return nil, fmt.Errorf("cms sign: no content type")
	}
	if content == nil {
		content = []byte{} // encapsulated even when empty
	}
	d := h.New()
	d.Write(content)
	s := signSpec{contentType: contentType, content: content, digest: d.Sum(nil), hash: h}
	if !opts.SigningTime.IsZero() {
		s.signingTime = &opts.SigningTime
	}
	if !opts.OmitCertificates {
		s.certs = append([]*x509.Certificate{cert}, chain...)
	}
	out, err := signSignedData(s, key, cert)
	if err != nil {
		return nil, fmt.Errorf("cms sign: %w", err)
	}
	return out, nil
}
