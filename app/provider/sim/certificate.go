package sim

import (
	"crypto/x509"
	"encoding/hex"
	"net/http"

	"almatel.kz/signkiosk/app/cms"
	"almatel.kz/signkiosk/app/provider"
)

// handleCertificate issues the session's EDS certificate, its key kept here
// only encrypted under the password. A repeat with the same password (the
// key decrypts) answers the same certificate (a retry after a client
// timeout); another password is 409.
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
	case ss.sealedKey != nil && ss.opens(req.Password):
		writeJSON(w, http.StatusOK, provider.CertificateResponse{Certificate: ss.certPEM, Chain: s.chain})
		return
	case ss.sealedKey != nil:
		writeError(w, http.StatusConflict, provider.CodeWrongState, "the certificate is already issued", nil)
		return
	case !provider.CheckPassword(req.Password).OK():
		writeError(w, http.StatusUnprocessableEntity, provider.CodeWeakPassword,
			"the password needs 8+ characters with a Latin letter, a digit and one of @$!%*#?&", nil)
		return
	}
	key, err := ss.takeKey(r.Context())
	var cert *x509.Certificate
	if err == nil {
		cert, err = s.issue(ss, key)
	}
	if err == nil {
		ss.sealedKey, err = encryptKey(key, req.Password)
	}
	if err != nil {
		s.log.Error().Err(err).Str("sim_session", ss.id).Msg("issue certificate")
		writeError(w, http.StatusInternalServerError, provider.CodeInternal, "cannot issue the certificate", nil)
		return
	}
	ss.cert, ss.certPEM = cert, pemCert(cert.Raw)
	s.log.Info().Str("sim_session", ss.id).Msg("certificate issued")
	writeJSON(w, http.StatusOK, provider.CertificateResponse{Certificate: ss.certPEM, Chain: s.chain})
}

// opens tells whether pw decrypts the session's key. Callers hold ss.mu.
func (ss *session) opens(pw string) bool {
	_, err := decryptKey(ss.sealedKey, pw)
	return err == nil
}

// handleSign signs a document digest: it decrypts the session's key with the
// given password and answers a detached CMS (CAdES-BES) built from the digest
// alone, since the provider never sees the document. The CMS carries the
// issuing CA and the root besides the signer.
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
	if ss.sealedKey == nil {
		writeError(w, http.StatusConflict, provider.CodeWrongState, "no certificate issued yet", nil)
		return
	}
	key, err := decryptKey(ss.sealedKey, req.Password)
	if err != nil {
		s.log.Info().Str("sim_session", ss.id).Msg("sign: wrong password")
		writeError(w, http.StatusUnprocessableEntity, provider.CodeWrongPassword, "wrong password", nil)
		return
	}
	now := s.cfg.Now()
	der, err := cms.SignDetached(digest, key, ss.cert, s.chainCerts(), now)
	if err == nil {
		err = s.afterSign(ss, der)
	}
	if err != nil {
		s.log.Error().Err(err).Str("sim_session", ss.id).Msg("sign")
		writeError(w, http.StatusInternalServerError, provider.CodeInternal, "cannot sign", nil)
		return
	}
	s.log.Info().Str("sim_session", ss.id).Msg("document signed")
	writeJSON(w, http.StatusOK, provider.SignResponse{CMS: der, SignedAt: now})
}
