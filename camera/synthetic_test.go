package camera

import (
	"testing"
	"time"

	"almatel.kz/signkiosk/camera/face"
)

// The demo face must be what the analyzer sees as one good face, at every
// demo frame size, and stay one detected face through every acted challenge.
func TestSyntheticFaceIsDetected(t *testing.T) {
	a, err := face.NewAnalyzer(face.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, sz := range [][2]int{{80, 60}, {160, 120}, {320, 240}, {640, 480}, {1280, 720}} {
		s := NewSynthetic(sz[0], sz[1], 30)
		for n := range 8 {
			an := a.Analyze(Luma(s.draw(n, time.Now())))
			if an.Guidance != face.OK {
				t.Fatalf("%v frame %d at rest: guidance %s (%+v)", sz, n, an.Guidance, an)
			}
		}
		missed, total := 0, 0
		for _, ch := range []string{"turn_left", "turn_right", "come_closer"} {
			start := time.Now()
			s.Act(ch)
			for el := time.Duration(0); el <= actFor; el += 75 * time.Millisecond {
				an := a.Analyze(Luma(s.draw(int(el/time.Millisecond), start.Add(el))))
				if an.Faces > 1 {
					t.Fatalf("%v %s at %v: %d faces", sz, ch, el, an.Faces)
				}
				if an.Faces == 0 {
					missed++
				}
				total++
			}
		}
		// Liveness bridges a missed frame; a face missing often would not pass.
		if missed*10 > total {
			t.Fatalf("%v: face missed in %d of %d acted frames", sz, missed, total)
		}
		t.Logf("%v: face missed in %d of %d acted frames", sz, missed, total)
	}
}

// Frames are cheap: acting reuses a handful of precomputed sprites (a
// sprite costs ~10 ms at 720p; a frame is a copy and a blit, ~1 ms, see
// BenchmarkSyntheticFrame).
func TestSyntheticIsCheap(t *testing.T) {
	s := NewSynthetic(1280, 720, 30)
	t0 := time.Now()
	for _, ch := range []string{"", "turn_left", "come_closer"} {
		s.Act(ch)
		for el := time.Duration(0); el <= actFor; el += 20 * time.Millisecond {
			s.draw(int(el/time.Millisecond), t0.Add(el))
		}
	}
	if n := len(s.sprites); n > 9 {
		t.Fatalf("%d face sprites drawn", n)
	}
	start := time.Now()
	const n = 20
	for i := range n {
		s.draw(i, time.Now())
	}
	if per := time.Since(start) / n; per > 50*time.Millisecond {
		t.Fatalf("a 1280×720 frame takes %v", per)
	}
}

func BenchmarkSyntheticFrame(b *testing.B) {
	s := NewSynthetic(1280, 720, 30)
	s.draw(0, time.Now())
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.draw(i, time.Now())
	}
}
