package ncasim

import (
	"crypto/x509"
	"encoding/hex"
	"net/http"
	"time"

	"almatel.kz/signkiosk/app/tsp"
)

// tsaAccuracy is what tokens claim: genTime is the clock to the second.
const tsaAccuracy = time.Second

// newTSP is the RFC 3161 service: package tsp's Authority with the TSA
// certificate (issued by the issuing CA, so one intermediate reaches the
// root) and the down trigger.
func (p *PKI) newTSP() http.Handler {
	return &tsp.Authority{
		Signer:   p.tsaKey,
		Cert:     p.tsa,
		Chain:    []*x509.Certificate{p.issuing},
		Policy:   oidTSAPolicy,
		Now:      p.now,
		Accuracy: tsaAccuracy,
		Down:     p.tsaIsDown,
	}
}

func (p *PKI) tsaIsDown(imprint []byte) bool {
	p.mu.Lock()
	down := p.tsaDown[hex.EncodeToString(imprint)]
	p.mu.Unlock()
	if down {
		p.log.Info().Msg("TSA down trigger: 503")
	}
	return down
}
