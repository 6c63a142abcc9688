package ncasim_test

import (
	"testing"

	"almatel.kz/signkiosk/app/ncasim"
)

// BenchmarkNew is what every provider simulator pays at start: four
// RSA-2048 keys (made two at a time on this 2-core machine) and five
// signatures.
func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		if _, err := ncasim.New(ncasim.Config{}); err != nil {
			b.Fatal(err)
		}
	}
}
