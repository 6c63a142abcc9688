package ticket

import (
	"crypto/ed25519"
	"testing"
	"time"
)

// BenchmarkVerify is the kiosk's offline check of a full demo ticket.
func BenchmarkVerify(b *testing.B) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	now := time.Now()
	text, err := Encode(NewPayload(DemoOrder(), "ALM-001", "S-1", now, time.Hour), priv)
	if err != nil {
		b.Fatal(err)
	}
	v := Verifier{PublicKey: pub, Office: "ALM-001"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(text, now); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(text)), "chars")
}
