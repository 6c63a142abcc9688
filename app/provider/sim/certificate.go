package sim

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"

	"almatel.kz/signkiosk/app/provider"
)

// handleCertificate issues the session's EDS certificate, its key kept here
// under the password. A repeat with the same password answers the same
// certificate (a retry after a client timeout); another password is 409.
func (s *Simulator) handleCertificate(w http.ResponseWriter, r *http.Request) {
	ss, ok := s.begin(w, r)
	if !ok {
		return
	}
	var req provider.CertificateRequest
	if !decodeBody(w, r, maxBodyBytes, &req) {
		return
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	switch {
	case !ss.edsRules:
		writeError(w, http.StatusConflict, provider.CodeWrongState, "the EDS rules consent comes first", nil)
		return
	case ss.key != nil && ss.passwordMatches(req.Password):
		writeJSON(w, http.StatusOK, provider.CertificateResponse{Certificate: ss.certPEM, Chain: s.ca.pem})
		return
	case ss.key != nil:
		writeError(w, http.StatusConflict, provider.CodeWrongState, "the certificate is already issued", nil)
		return
	case !provider.CheckPassword(req.Password).OK():
		writeError(w, http.StatusUnprocessableEntity, provider.CodeWeakPassword,
			"the password needs 8+ characters with a Latin letter, a digit and one of @$!%*#?&", nil)
		return
	}
	key, certPEM, err := s.ca.issue(s.cfg.Now(), ss.iin, ss.doc.Surname, ss.doc.Given)
	if err != nil {
		s.log.Error().Err(err).Str("sim_session", ss.id).Msg("issue certificate")
		writeError(w, http.StatusInternalServerError, provider.CodeInternal, "cannot issue the certificate", nil)
		return
	}
	salt := make([]byte, 16)
	_, _ = rand.Read(salt) // never fails since Go 1.24
	ss.key, ss.certPEM, ss.pwSalt = key, certPEM, salt
	ss.pwHash = hashPassword(salt, req.Password)
	s.log.Info().Str("sim_session", ss.id).Msg("certificate issued")
	writeJSON(w, http.StatusOK, provider.CertificateResponse{Certificate: certPEM, Chain: s.ca.pem})
}

func hashPassword(salt []byte, pw string) [32]byte {
	return sha256.Sum256(append(append([]byte{}, salt...), pw...))
}

// passwordMatches compares in constant time. Callers hold ss.mu.
func (ss *session) passwordMatches(pw string) bool {
	h := hashPassword(ss.pwSalt, pw)
	return subtle.ConstantTimeCompare(h[:], ss.pwHash[:]) == 1
}

// handleSign signs a document digest with the session's key.
//
// STAND-IN: the answer's cms is a raw RSA PKCS#1 v1.5 signature (SHA-256)
// over the digest, not yet the detached CMS/CAdES SignedData the API
// promises; the next issue builds that.
func (s *Simulator) handleSign(w http.ResponseWriter, r *http.Request) {
	ss, ok := s.begin(w, r)
	if !ok {
		return
	}
	var req provider.SignRequest
	if !decodeBody(w, r, maxBodyBytes, &req) {
		return
	}
	if !validSHA256Hex(req.DocumentSHA256) {
		writeError(w, http.StatusBadRequest, provider.CodeBadRequest, "document_sha256 must be 64 hex digits", nil)
		return
	}
	digest, _ := hex.DecodeString(req.DocumentSHA256)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	switch {
	case ss.key == nil:
		writeError(w, http.StatusConflict, provider.CodeWrongState, "no certificate issued yet", nil)
		return
	case !ss.passwordMatches(req.Password):
		s.log.Info().Str("sim_session", ss.id).Msg("sign: wrong password")
		writeError(w, http.StatusUnprocessableEntity, provider.CodeWrongPassword, "wrong password", nil)
		return
	}
	sig, err := rsa.SignPKCS1v15(rand.Reader, ss.key, crypto.SHA256, digest)
	if err != nil {
		s.log.Error().Err(err).Str("sim_session", ss.id).Msg("sign")
		writeError(w, http.StatusInternalServerError, provider.CodeInternal, "cannot sign", nil)
		return
	}
	s.log.Info().Str("sim_session", ss.id).Msg("document signed")
	writeJSON(w, http.StatusOK, provider.SignResponse{CMS: sig, SignedAt: s.cfg.Now()})
}
