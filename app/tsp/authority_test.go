package tsp

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/cms"
)

func marshalReq(t *testing.T, r timeStampReq) []byte {
	t.Helper()
	b, err := asn1.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRespondRejections(t *testing.T) {
	p := newTestPKI(t, time.Now())
	a := p.authority(p.now)
	sum := sha256.Sum256(testData)
	good := timeStampReq{Version: 1, CertReq: true,
		MessageImprint: messageImprint{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oidSHA256}, HashedMessage: sum[:]}}
	edited := func(edit func(*timeStampReq)) []byte {
		r := good
		r.MessageImprint.HashedMessage = bytes.Clone(sum[:])
		edit(&r)
		return marshalReq(t, r)
	}
	for _, tc := range []struct {
		name string
		req  []byte
		bit  int
	}{
		{"garbage", []byte("not a request"), failBadDataFormat},
		{"trailing data", append(marshalReq(t, good), 0), failBadDataFormat},
		{"version 2", edited(func(r *timeStampReq) { r.Version = 2 }), failBadRequest},
		{"MD5", edited(func(r *timeStampReq) {
			r.MessageImprint.HashAlgorithm.Algorithm = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 5}
			r.MessageImprint.HashedMessage = r.MessageImprint.HashedMessage[:16]
		}), failBadAlg},
		{"hash parameters", edited(func(r *timeStampReq) {
			r.MessageImprint.HashAlgorithm.Parameters = asn1.RawValue{FullBytes: []byte{0x02, 0x01, 0x00}}
		}), failBadAlg},
		{"short imprint", edited(func(r *timeStampReq) { r.MessageImprint.HashedMessage = sum[:20] }), failBadDataFormat},
		{"other policy", edited(func(r *timeStampReq) { r.ReqPolicy = asn1.ObjectIdentifier{1, 2, 3} }), failUnacceptedPolicy},
		{"extension", edited(func(r *timeStampReq) {
			r.Extensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 2, 3}, Value: []byte{5, 0}}}
		}), failUnacceptedExtension},
		{"negative nonce", edited(func(r *timeStampReq) { r.Nonce = big.NewInt(-5) }), failBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var resp timeStampResp
			if err := cms.UnmarshalAll(a.Respond(tc.req), &resp); err != nil {
				t.Fatal(err)
			}
			if resp.Status.Status != statusRejection || resp.Status.FailInfo.At(tc.bit) != 1 ||
				len(failures(resp.Status.FailInfo)) != 1 || len(resp.TimeStampToken.FullBytes) != 0 {
				t.Fatalf("got %s, want rejection %s", describe(resp.Status), failNames[tc.bit])
			}
			if freeText(resp.Status.StatusString) == "" {
				t.Error("no status text")
			}
		})
	}
	// The same request well-formed is granted; with SHA-384/512 too, and
	// with NULL hash parameters (how many clients still send them).
	for _, r := range []timeStampReq{good, withHash(t, good, "sha384"), withHash(t, good, "sha512"), withNullParams(good)} {
		tok, err := checkReply(a.Respond(marshalReq(t, r)))
		if err != nil {
			t.Fatalf("%v: %v", r.MessageImprint.HashAlgorithm.Algorithm, err)
		}
		if !tok.HashAlgorithm.Equal(r.MessageImprint.HashAlgorithm.Algorithm) || tok.Nonce != nil {
			t.Errorf("imprint algorithm %v, nonce %v", tok.HashAlgorithm, tok.Nonce)
		}
	}

	broken := *a
	broken.Signer = nil
	var resp timeStampResp
	if err := cms.UnmarshalAll(broken.Respond(marshalReq(t, good)), &resp); err != nil || resp.Status.FailInfo.At(failSystemFailure) != 1 {
		t.Errorf("no signer: %v %s", err, describe(resp.Status))
	}
}

func withHash(t *testing.T, r timeStampReq, name string) timeStampReq {
	t.Helper()
	oid := map[string]asn1.ObjectIdentifier{"sha384": {2, 16, 840, 1, 101, 3, 4, 2, 2}, "sha512": {2, 16, 840, 1, 101, 3, 4, 2, 3}}[name]
	h, _ := cms.HashOf(oid)
	d := h.New()
	d.Write(testData)
	r.MessageImprint = messageImprint{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oid}, HashedMessage: d.Sum(nil)}
	return r
}

func withNullParams(r timeStampReq) timeStampReq {
	r.MessageImprint.HashAlgorithm.Parameters = asn1.NullRawValue
	return r
}

func TestSystemFailureReply(t *testing.T) {
	b, err := asn1.Marshal(timeStampResp{Status: pkiStatusInfo{Status: statusRejection, FailInfo: failInfo(failSystemFailure)}})
	if err != nil || !bytes.Equal(b, systemFailureReply) {
		t.Fatalf("constant %x, encoded %x (%v)", systemFailureReply, b, err)
	}
}

func TestServeHTTPRefuses(t *testing.T) {
	p := newTestPKI(t, time.Now())
	srv := serve(t, p.authority(p.now))
	get, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_ = get.Body.Close()
	if get.StatusCode != http.StatusMethodNotAllowed || get.Header.Get("Allow") != "POST" {
		t.Errorf("GET: %d", get.StatusCode)
	}
	for _, tc := range []struct {
		ctype string
		body  []byte
		want  int
	}{
		{"text/plain", []byte("x"), http.StatusUnsupportedMediaType},
		{contentTypeQuery, make([]byte, maxMessage+1), http.StatusRequestEntityTooLarge},
		{contentTypeQuery + "; charset=binary", []byte("junk"), http.StatusOK}, // an RFC 3161 rejection
	} {
		resp, err := http.Post(srv.URL, tc.ctype, bytes.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s, %d bytes: HTTP %d, want %d", tc.ctype, len(tc.body), resp.StatusCode, tc.want)
		}
		if tc.want == http.StatusOK && !strings.HasPrefix(resp.Header.Get("Content-Type"), contentTypeReply) {
			t.Errorf("reply content type %q", resp.Header.Get("Content-Type"))
		}
	}
}
