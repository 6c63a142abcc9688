// Package cms builds and checks detached CMS (RFC 5652) signatures with the
// CAdES-BES signed attributes: content-type, message-digest, signing-time and
// signing-certificate-v2 (RFC 5035). Only RSA PKCS#1 v1.5 with SHA-256.
//
// Why hand-written with encoding/asn1: the provider never sees the document,
// only its SHA-256 (the kiosk sends document_sha256), so the signer must build
// the SignedData from a digest. No library available here does that:
// github.com/digitorus/pkcs7's current version needs Go 1.27 (this module is
// on Go 1.26), and go.mozilla.org/pkcs7 hashes the content itself. The
// structure is small and fixed, so building it directly keeps the dependency
// list short and the output byte-exact and reviewable.
package cms

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"
)

// Object identifiers used here.
var (
	oidData              = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidSHA256            = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidRSAEncryption     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidSHA256WithRSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidContentType       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningTime       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidSigningCertV2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	errNotRSA            = errors.New("only RSA signer keys are supported")
	errDigestLen         = errors.New("digest must be 32 bytes (SHA-256)")
	errKeyCertMismatch   = errors.New("key does not match the certificate")
	errSignedAttrsAbsent = errors.New("no signed attributes")
	errKeyType           = errors.New("only RSA and ECDSA signer keys are supported")
	errHash              = errors.New("hash must be SHA-256, SHA-384 or SHA-512")
)

// contentInfo is the outer ContentInfo. Content carries its own [0] EXPLICIT
// wrapper because encoding/asn1 ignores tag parameters on a RawValue when
// marshalling.
type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,optional,tag:0"`
}

type signedData struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
	EncapContentInfo encapContentInfo
	Certificates     asn1.RawValue `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue `asn1:"optional,tag:1"`
	SignerInfos      []signerInfo  `asn1:"set"`
}

type encapContentInfo struct {
	EContentType asn1.ObjectIdentifier
	EContent     asn1.RawValue `asn1:"explicit,optional,tag:0"`
}

type signerInfo struct {
	Version            int
	SID                issuerAndSerial
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

// signingCertificateV2 (RFC 5035) with the policies field left out.
type signingCertificateV2 struct {
	Certs []essCertIDv2
}

// essCertIDv2 omits hashAlgorithm when it is the default SHA-256, as DER requires.
type essCertIDv2 struct {
	HashAlgorithm pkix.AlgorithmIdentifier `asn1:"optional"`
	CertHash      []byte
	IssuerSerial  issuerSerial `asn1:"optional"`
}

type issuerSerial struct {
	Issuer asn1.RawValue // GeneralNames holding one directoryName
	Serial *big.Int
}

// SignDetached returns a DER ContentInfo holding a detached SignedData over
// the content whose SHA-256 is digest, signed by key for cert. chain is added
// to the certificates after cert.
func SignDetached(digest []byte, key crypto.Signer, cert *x509.Certificate, chain []*x509.Certificate, signingTime time.Time) ([]byte, error) {
	if len(digest) != sha256.Size {
		return nil, fmt.Errorf("cms sign: %w", errDigestLen)
	}
	if _, ok := key.Public().(*rsa.PublicKey); !ok {
		return nil, fmt.Errorf("cms sign: %w", errNotRSA)
	}
	out, err := signSignedData(signSpec{
		contentType: oidData, digest: digest, hash: crypto.SHA256, signingTime: &signingTime,
		certs: append([]*x509.Certificate{cert}, chain...),
	}, key, cert)
	if err != nil {
		return nil, fmt.Errorf("cms sign: %w", err)
	}
	return out, nil
}

// signSpec is what one SignedData holds besides the signer.
type signSpec struct {
	contentType asn1.ObjectIdentifier
	content     []byte      // the eContent; nil: detached
	digest      []byte      // hash of the content
	hash        crypto.Hash // of the content and the signed attributes
	signingTime *time.Time  // nil: no signing-time attribute
	certs       []*x509.Certificate
}

// signSignedData signs s with key for cert and returns the ContentInfo.
func signSignedData(s signSpec, key crypto.Signer, cert *x509.Certificate) ([]byte, error) {
	if pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(cert.PublicKey) {
		return nil, errKeyCertMismatch
	}
	sigAlg, err := signatureAlgorithm(key.Public(), s.hash)
	if err != nil {
		return nil, err
	}
	hashOID, ok := HashOID(s.hash)
	if !ok {
		return nil, errHash
	}
	attrs, err := attributesFor(s.contentType, s.digest, cert, s.signingTime)
	if err != nil {
		return nil, err
	}
	h := s.hash.New()
	h.Write(attrs)
	sig, err := key.Sign(rand.Reader, h.Sum(nil), s.hash)
	if err != nil {
		return nil, err
	}
	// The SignerInfo carries the same SET with its tag changed to [0] IMPLICIT.
	implicit := slices.Clone(attrs)
	implicit[0] = 0xA0

	// RFC 5652 §5.1: version 3 when the content is not id-data.
	version := 1
	if !s.contentType.Equal(oidData) {
		version = 3
	}
	var eContent asn1.RawValue
	if s.content != nil {
		octets, err := asn1.Marshal(s.content)
		if err != nil {
			return nil, fmt.Errorf("content: %w", err)
		}
		eContent = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: octets}
	}
	var certs asn1.RawValue
	if len(s.certs) != 0 {
		certs = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true}
		for _, c := range s.certs {
			certs.Bytes = append(certs.Bytes, c.Raw...)
		}
	}
	sd := signedData{
		Version:          version,
		DigestAlgorithms: []pkix.AlgorithmIdentifier{{Algorithm: hashOID}},
		EncapContentInfo: encapContentInfo{EContentType: s.contentType, EContent: eContent},
		Certificates:     certs,
		SignerInfos: []signerInfo{{
			Version:            1,
			SID:                issuerAndSerial{Issuer: asn1.RawValue{FullBytes: cert.RawIssuer}, Serial: cert.SerialNumber},
			DigestAlgorithm:    pkix.AlgorithmIdentifier{Algorithm: hashOID},
			SignedAttrs:        asn1.RawValue{FullBytes: implicit},
			SignatureAlgorithm: sigAlg,
			Signature:          sig,
		}},
	}
	sdDER, err := asn1.Marshal(sd)
	if err != nil {
		return nil, fmt.Errorf("signed data: %w", err)
	}
	out, err := asn1.Marshal(contentInfo{
		ContentType: oidSignedData,
		Content:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sdDER},
	})
	if err != nil {
		return nil, fmt.Errorf("content info: %w", err)
	}
	return out, nil
}

// signedAttributes returns the DER SET OF the four CAdES-BES attributes
// SignDetached signs.
func signedAttributes(digest []byte, cert *x509.Certificate, signingTime time.Time) ([]byte, error) {
	return attributesFor(oidData, digest, cert, &signingTime)
}

// attributesFor returns the DER SET OF content-type, message-digest,
// signing-time (when given) and signing-certificate-v2, sorted by their
// encodings as DER requires for SET OF: these exact bytes are what gets
// signed.
func attributesFor(contentType asn1.ObjectIdentifier, digest []byte, cert *x509.Certificate, signingTime *time.Time) ([]byte, error) {
	ct, err := asn1.Marshal(contentType)
	if err != nil {
		return nil, err
	}
	md, err := asn1.Marshal(digest)
	if err != nil {
		return nil, err
	}
	gn, err := generalNames(cert.RawIssuer)
	if err != nil {
		return nil, err
	}
	certHash := sha256.Sum256(cert.Raw)
	sc, err := asn1.Marshal(signingCertificateV2{Certs: []essCertIDv2{{
		CertHash:     certHash[:],
		IssuerSerial: issuerSerial{Issuer: asn1.RawValue{FullBytes: gn}, Serial: cert.SerialNumber},
	}}})
	if err != nil {
		return nil, fmt.Errorf("signing certificate: %w", err)
	}
	type attr struct {
		oid asn1.ObjectIdentifier
		val []byte
	}
	list := []attr{{oidContentType, ct}, {oidMessageDigest, md}}
	if signingTime != nil {
		st, err := marshalTime(*signingTime)
		if err != nil {
			return nil, err
		}
		list = append(list, attr{oidSigningTime, st})
	}
	list = append(list, attr{oidSigningCertV2, sc})
	var encoded [][]byte
	for _, a := range list {
		b, err := asn1.Marshal(Attribute{Type: a.oid, Values: []asn1.RawValue{{FullBytes: a.val}}})
		if err != nil {
			return nil, fmt.Errorf("attribute %v: %w", a.oid, err)
		}
		encoded = append(encoded, b)
	}
	slices.SortFunc(encoded, bytes.Compare)
	set, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: bytes.Join(encoded, nil)})
	if err != nil {
		return nil, fmt.Errorf("attributes: %w", err)
	}
	return set, nil
}

// marshalTime encodes a signing time as RFC 5652 asks: UTCTime for 1950–2049,
// GeneralizedTime otherwise.
func marshalTime(t time.Time) ([]byte, error) {
	t = t.UTC().Truncate(time.Second)
	if y := t.Year(); y >= 1950 && y < 2050 {
		return asn1.MarshalWithParams(t, "utc")
	}
	return asn1.MarshalWithParams(t, "generalized")
}

// generalNames wraps a DER Name as GeneralNames { directoryName [4] }.
func generalNames(rawName []byte) ([]byte, error) {
	dn, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: rawName})
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: dn})
}
