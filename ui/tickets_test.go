package ui

import (
	"bytes"
	"image"
	"image/png"
	"io"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"almatel.kz/signkiosk/camera/picturetest"
)

// "Open ticket image" says why a picture gave no ticket: too large (an
// image bomb, refused from its header), not a picture, or no QR in it; a
// picture with a QR goes to the kiosk.
func TestOpenTicketPicture(t *testing.T) {
	k := newFakeKiosk()
	h := newHarness(t, Options{Kiosk: k})
	h.q.drain()
	is, ok := h.u.screen.(*idleScreen)
	if !ok {
		t.Fatalf("screen %T, want the idle screen", h.u.screen)
	}
	var blank bytes.Buffer
	if err := png.Encode(&blank, image.NewGray(image.Rect(0, 0, 64, 64))); err != nil {
		t.Fatal(err)
	}
	const text = "AKT1:NOT-A-REAL-TICKET"
	qr, err := qrcode.Encode(text, qrcode.Medium, 480)
	if err != nil {
		t.Fatal(err)
	}
	// Alternating messages, so each case must change the screen.
	for _, tc := range []struct {
		name, code string
		b          []byte
	}{
		{"png bomb", "picture_too_large", picturetest.PNGHeader(100000, 100000)},
		{"text", "not_picture", []byte("AKT1:this is text, not a picture")},
		{"jpeg bomb", "picture_too_large", picturetest.JPEGHeader(65535, 65535)},
		{"blank", "no_qr", blank.Bytes()},
		{"jpeg scans", "picture_too_large", picturetest.JPEGScans(4000, 3000, 5000)},
		{"cut png", "not_picture", picturetest.PNGHeader(300, 300)},
	} {
		want := is.l.Err(tc.code)
		is.openPicture(io.NopCloser(bytes.NewReader(tc.b)))
		// 30 s: a refusal takes well under a millisecond, a blank picture
		// ~10 ms; the margin is for a loaded -race run.
		deadline := time.Now().Add(30 * time.Second)
		for !h.shows(want) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: screen shows %q, want %q", tc.name, h.screenText(), want)
			}
			time.Sleep(5 * time.Millisecond)
			h.q.drain()
		}
	}

	is.openPicture(io.NopCloser(bytes.NewReader(qr)))
	deadline := time.Now().Add(30 * time.Second)
	for {
		h.q.drain()
		k.mu.Lock()
		scans := append([]string(nil), k.scans...)
		k.mu.Unlock()
		if len(scans) == 1 && scans[0] == text {
			break
		}
		if len(scans) > 0 || time.Now().After(deadline) {
			t.Fatalf("scans %q, want the ticket once", scans)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The picture messages exist in every language, apart from no_qr.
func TestPictureMessagesTranslated(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range languages {
		seen := map[string]string{}
		for _, code := range []string{"picture_too_large", "not_picture", "no_qr"} {
			if !cat.in(l).has("err." + code) {
				t.Errorf("%s: no err.%s", l, code)
				continue
			}
			msg := cat.in(l).Err(code)
			if other, dup := seen[msg]; dup {
				t.Errorf("%s: err.%s says the same as err.%s", l, code, other)
			}
			seen[msg] = code
		}
	}
}
