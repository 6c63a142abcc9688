package ticket

import (
	"errors"
	"strings"
	"testing"
)

// FuzzVerify: Verify never panics, every refusal is one of the sentinels, and
// whatever it accepts is a complete ticket for this office.
func FuzzVerify(f *testing.F) {
	priv := testKey(1)
	valid := mustEncode(f, testPayload(), priv)
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(sealPayload(f, testPayload(), priv))
	f.Add(seal(f, []byte(`{"v":1}`), priv))
	f.Add(seal(f, []byte(`{"v":2}`), priv))
	f.Add(pack(f, []byte("short")))
	f.Add(Prefix)
	f.Add(Prefix + "GGW")
	f.Add("hello")
	v := testVerifier()
	sentinels := []error{ErrNotTicket, ErrEncoding, ErrTooLarge, ErrSignature, ErrVersion,
		ErrExpired, ErrNotYetValid, ErrOtherOffice, ErrIncomplete, ErrDuplicateKey}
	f.Fuzz(func(t *testing.T, text string) {
		p, err := v.Verify(text, testNow)
		if err != nil {
			for _, s := range sentinels {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("error %v matches no sentinel", err)
		}
		if !strings.HasPrefix(text, Prefix) {
			t.Fatal("accepted text without prefix")
		}
		if verr := p.Validate(); verr != nil || p.Office != v.Office {
			t.Fatalf("accepted a bad payload: %v", verr)
		}
	})
}
