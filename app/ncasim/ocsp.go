package ncasim

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"
)

// ocspLife is how long an OCSP answer is valid: nextUpdate = thisUpdate + 24 h.
// thisUpdate and producedAt are the moment of asking: the responder looks
// the status up then.
const ocspLife = 24 * time.Hour

const ocspContentType = "application/ocsp-response"

// handleOCSPPost answers an OCSP request sent as the POST body.
func (p *PKI) handleOCSPPost(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxOCSPRequestBytes))
	if err != nil {
		writeOCSP(w, http.StatusBadRequest, ocsp.MalformedRequestErrorResponse)
		return
	}
	p.answerOCSP(w, body)
}

// handleOCSPGet answers a request carried in the path (RFC 6960 appendix
// A.1: GET {url}/{url-encoding of base-64 encoding of the DER}). It takes
// the escaped path itself: base64 holds '/' and '+', and a ServeMux would
// clean "//" out of the path before any handler saw it.
func (p *PKI) handleOCSPGet(w http.ResponseWriter, r *http.Request) {
	der, err := ocspFromPath(strings.TrimPrefix(r.URL.EscapedPath(), PathOCSP+"/"))
	if err != nil {
		writeOCSP(w, http.StatusBadRequest, ocsp.MalformedRequestErrorResponse)
		return
	}
	p.answerOCSP(w, der)
}

// ocspFromPath decodes a GET request's last path part: percent-escapes,
// then standard base64 with or without padding.
func ocspFromPath(escaped string) ([]byte, error) {
	if escaped == "" || len(escaped) > 3*base64.StdEncoding.EncodedLen(maxOCSPRequestBytes) {
		return nil, errors.New("OCSP GET: empty or too long")
	}
	s, err := url.PathUnescape(escaped)
	if err != nil {
		return nil, fmt.Errorf("OCSP GET: %w", err)
	}
	s = strings.TrimRight(s, "=")
	// The decoder skips CR and LF, even when strict: no such thing in a path.
	if strings.ContainsFunc(s, func(r rune) bool { return !isBase64(r) }) {
		return nil, errors.New("OCSP GET: not base64")
	}
	der, err := base64.RawStdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("OCSP GET: %w", err)
	}
	return der, nil
}

func isBase64(r rune) bool {
	return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '/'
}

func (p *PKI) answerOCSP(w http.ResponseWriter, der []byte) {
	req, err := parseOCSPRequest(der)
	if err != nil {
		writeOCSP(w, http.StatusBadRequest, ocsp.MalformedRequestErrorResponse)
		return
	}
	for _, c := range req.certs {
		if p.ocspIsDown(c.serial) {
			p.log.Info().Msg("OCSP down trigger: 503")
			http.Error(w, "OCSP responder unavailable (simulator trigger)", http.StatusServiceUnavailable)
			return
		}
	}
	resp, err := p.ocspResponse(req, p.now())
	if err != nil {
		p.log.Error().Err(err).Msg("OCSP response")
		writeOCSP(w, http.StatusInternalServerError, ocsp.InternalErrorErrorResponse)
		return
	}
	writeOCSP(w, http.StatusOK, resp)
}

func writeOCSP(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", ocspContentType)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// ocspResponse signs the status of every certificate asked, the request's
// CertIDs echoed, with the responder certificate included.
func (p *PKI) ocspResponse(req *parsedRequest, now time.Time) ([]byte, error) {
	now = now.UTC().Truncate(time.Second)
	data := responseData{
		ResponderID: responderByName(p.ocsp.RawSubject),
		ProducedAt:  now,
	}
	for _, c := range req.certs {
		sr := singleResponse{CertID: asn1.RawValue{FullBytes: c.raw}, ThisUpdate: now, NextUpdate: now.Add(ocspLife)}
		st := certStatus{}
		if p.ours(c) {
			st = p.status(c.serial)
		}
		switch {
		case st.revoked != nil:
			sr.Revoked = revokedInfo{RevocationTime: st.revoked.at, Reason: asn1.Enumerated(st.revoked.reason)}
		case st.known:
			sr.Good = true
		default:
			// Another issuer's, or never issued: "unknown" (RFC 6960 §2.2).
			sr.Unknown = true
		}
		data.Responses = append(data.Responses, sr)
	}
	if req.nonce != nil {
		data.Extensions = []pkix.Extension{*req.nonce}
	}
	tbs, err := asn1.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("response data: %w", err)
	}
	sum := crypto.SHA256.New()
	sum.Write(tbs)
	sig, err := p.ocspKey.Sign(rand.Reader, sum.Sum(nil), crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	basic, err := asn1.Marshal(basicOCSPResponse{
		TBSResponseData:    asn1.RawValue{FullBytes: tbs},
		SignatureAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oidSHA256WithRSA, Parameters: asn1.NullRawValue},
		Signature:          asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)},
		Certs:              []asn1.RawValue{{FullBytes: p.ocsp.Raw}},
	})
	if err != nil {
		return nil, fmt.Errorf("basic response: %w", err)
	}
	return asn1.Marshal(ocspResponse{
		Status:   asn1.Enumerated(ocsp.Success),
		Response: responseBytes{ResponseType: oidOCSPBasic, Response: basic},
	})
}

// ours tells whether a CertID names the issuing CA: its name and key hashed
// with the CertID's algorithm.
func (p *PKI) ours(c parsedCertID) bool {
	if !c.hashRecognised || !c.hash.Available() {
		return false
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(p.issuing.RawSubjectPublicKeyInfo, &spki); err != nil {
		return false
	}
	h := c.hash.New()
	h.Write(p.issuing.RawSubject)
	name := h.Sum(nil)
	h.Reset()
	h.Write(spki.PublicKey.RightAlign())
	key := h.Sum(nil)
	return bytes.Equal(name, c.nameHash) && bytes.Equal(key, c.keyHash)
}
