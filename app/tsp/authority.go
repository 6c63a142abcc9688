package tsp

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"io"
	"math/big"
	"mime"
	"net/http"
	"time"

	"almatel.kz/signkiosk/app/cms"
)

// Authority is a time-stamp authority (the simulator's): it answers
// TimeStampReqs with tokens signed by Signer for Cert.
type Authority struct {
	Signer   crypto.Signer
	Cert     *x509.Certificate
	Chain    []*x509.Certificate // sent after Cert when certReq
	Policy   asn1.ObjectIdentifier
	Now      func() time.Time // nil: time.Now
	Accuracy time.Duration    // 0: no accuracy field
	Serial   func() *big.Int  // nil: random 127-bit
	// Down is a test/trigger hook: true answers HTTP 503 (TSA down); nil never.
	Down func(imprint []byte) bool
}

// request is a TimeStampReq Respond accepted.
type request struct {
	imprint messageImprint
	nonce   *big.Int
	certReq bool
}

// rejection is why a request is refused: a PKIFailureInfo bit and a text.
type rejection struct {
	bit  int
	text string
}

// systemFailureReply is the rejection Respond falls back to if even a
// rejection cannot be encoded: status rejection, failInfo systemFailure.
var systemFailureReply = []byte{0x30, 0x0c, 0x30, 0x0a, 0x02, 0x01, 0x02, 0x03, 0x05, 0x06, 0x00, 0x00, 0x00, 0x40}

// Respond answers a DER TimeStampReq with a DER TimeStampResp. It never
// fails: a bad request gets a rejection with the matching PKIFailureInfo
// (badDataFormat, badRequest, badAlg, unacceptedPolicy,
// unacceptedExtension), a signing failure systemFailure.
func (a *Authority) Respond(reqDER []byte) []byte {
	req, rej := a.parseRequest(reqDER)
	if rej != nil {
		return reject(*rej)
	}
	return a.grant(req)
}

func (a *Authority) parseRequest(der []byte) (*request, *rejection) {
	var req timeStampReq
	if err := cms.UnmarshalAll(der, &req); err != nil {
		return nil, &rejection{failBadDataFormat, "the request is not a DER TimeStampReq"}
	}
	if req.Version != 1 {
		return nil, &rejection{failBadRequest, "unsupported request version"}
	}
	alg := req.MessageImprint.HashAlgorithm
	h, ok := cms.HashOf(alg.Algorithm)
	if p := alg.Parameters; !ok || (len(p.FullBytes) != 0 && !(p.Tag == asn1.TagNull && len(p.Bytes) == 0)) {
		return nil, &rejection{failBadAlg, "unsupported hash algorithm"}
	}
	if len(req.MessageImprint.HashedMessage) != h.Size() {
		return nil, &rejection{failBadDataFormat, "message imprint length does not fit its algorithm"}
	}
	if req.ReqPolicy != nil && !req.ReqPolicy.Equal(a.Policy) {
		return nil, &rejection{failUnacceptedPolicy, "policy not offered"}
	}
	if len(req.Extensions) != 0 {
		return nil, &rejection{failUnacceptedExtension, "no request extension is supported"}
	}
	if n := req.Nonce; n != nil && (n.Sign() < 0 || n.BitLen() > 256) {
		return nil, &rejection{failBadRequest, "nonce out of range"}
	}
	return &request{imprint: req.MessageImprint, nonce: req.Nonce, certReq: req.CertReq}, nil
}

func (a *Authority) grant(req *request) []byte {
	token, err := a.token(req)
	if err != nil {
		return reject(rejection{failSystemFailure, "the time stamp could not be made"})
	}
	out, err := asn1.Marshal(timeStampResp{
		Status:         pkiStatusInfo{Status: statusGranted},
		TimeStampToken: asn1.RawValue{FullBytes: token},
	})
	if err != nil {
		return systemFailureReply
	}
	return out
}

func (a *Authority) token(req *request) ([]byte, error) {
	if a.Signer == nil || a.Cert == nil {
		return nil, errors.New("authority without a signer")
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	var serial *big.Int
	if a.Serial != nil {
		serial = a.Serial()
	} else {
		n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
		if err != nil {
			return nil, err
		}
		serial = n.Add(n, big.NewInt(1)) // positive
	}
	// tsa: the certificate's subject as a directoryName (an EXPLICIT [4]
	// Name inside the EXPLICIT [0] of the field).
	dirName, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: gnDirectoryName, IsCompound: true, Bytes: a.Cert.RawSubject})
	if err != nil {
		return nil, err
	}
	info := tstInfo{
		Version:        1,
		Policy:         a.Policy,
		MessageImprint: req.imprint,
		SerialNumber:   serial,
		GenTime:        now().UTC().Truncate(time.Second),
		Accuracy:       accuracyOf(a.Accuracy),
		Nonce:          req.nonce,
		TSA:            asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: dirName},
	}
	content, err := asn1.Marshal(info)
	if err != nil {
		return nil, err
	}
	return cms.SignEncapsulated(OIDTSTInfo, content, a.Signer, a.Cert, a.Chain,
		cms.EncapsulatedOptions{OmitCertificates: !req.certReq})
}

// accuracyOf rounds d up to microseconds.
func accuracyOf(d time.Duration) accuracy {
	if d <= 0 {
		return accuracy{}
	}
	us := (d + time.Microsecond - 1) / time.Microsecond
	return accuracy{
		Seconds: int64(us / 1e6),
		Millis:  int(us / 1e3 % 1e3),
		Micros:  int(us % 1e3),
	}
}

func reject(r rejection) []byte {
	out, err := asn1.Marshal(timeStampResp{Status: pkiStatusInfo{
		Status:       statusRejection,
		StatusString: []asn1.RawValue{{Class: asn1.ClassUniversal, Tag: asn1.TagUTF8String, Bytes: []byte(r.text)}},
		FailInfo:     failInfo(r.bit),
	}})
	if err != nil {
		return systemFailureReply
	}
	return out
}

// ServeHTTP serves RFC 3161 over HTTP: POST only, a body of
// application/timestamp-query up to 1 MiB, the reply as
// application/timestamp-reply (rejections too: they are RFC 3161 answers).
func (a *Authority) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST a time-stamp query", http.StatusMethodNotAllowed)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != contentTypeQuery {
		http.Error(w, "the body must be "+contentTypeQuery, http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxMessage))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			http.Error(w, "query too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read the query", http.StatusBadRequest)
		return
	}
	req, rej := a.parseRequest(body)
	if req != nil && a.Down != nil && a.Down(req.imprint.HashedMessage) {
		http.Error(w, "time-stamp service unavailable", http.StatusServiceUnavailable)
		return
	}
	var reply []byte
	if rej != nil {
		reply = reject(*rej)
	} else {
		reply = a.grant(req)
	}
	w.Header().Set("Content-Type", contentTypeReply)
	_, _ = w.Write(reply)
}
