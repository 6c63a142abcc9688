package face

// Config holds the detector's tuning and the guidance thresholds. Zero
// fields take the defaults documented beside them (see DefaultConfig).
type Config struct {
	// Detector (pigo). Sizes are fractions of the frame's shorter side.
	MinFace  float64 // smallest face searched for; 0.15 (smaller ones are ignored, not guided)
	MaxFace  float64 // largest face searched for; 0.95
	Shift    float64 // window step as a fraction of its size; 0.15 (0.1 costs ~4× the time)
	Scale    float64 // window size step; 1.2
	IoU      float64 // overlap above which raw detections merge into one face; 0.2
	MinScore float64 // summed cascade score a merged face needs; 5 (pigo's own default; real faces score 60-100)

	// Guidance. Size is the face box side over the frame's shorter side.
	Small      float64 // below: come_closer; 0.30
	Large      float64 // above: move_back; 0.70 (nearer, pigo loses the face at the frame edge)
	OffCentre  float64 // centre offset (fraction of the frame's width or height) above which: center; 0.18
	Dark       float64 // mean face luma below: more_light; 70
	Bright     float64 // mean face luma above: less_light; 200
	Blurred    float64 // Laplacian variance (face sampled at ~96 px) below: hold_still; 40
	PupilSpan  float64 // smallest plausible pupil distance over the face width; 0.22
	PupilSpanX float64 // largest plausible pupil distance over the face width; 0.60
}

// DefaultConfig returns the defaults, chosen on pigo's sample face and the
// synthetic demo face (see the package tests for the sequences).
func DefaultConfig() Config {
	return Config{
		MinFace: 0.15, MaxFace: 0.95, Shift: 0.15, Scale: 1.2, IoU: 0.2, MinScore: 5,
		Small: 0.30, Large: 0.70, OffCentre: 0.18, Dark: 70, Bright: 200, Blurred: 40,
		PupilSpan: 0.22, PupilSpanX: 0.60,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	for _, p := range []struct{ v, def *float64 }{
		{&c.MinFace, &d.MinFace}, {&c.MaxFace, &d.MaxFace}, {&c.Shift, &d.Shift}, {&c.Scale, &d.Scale},
		{&c.IoU, &d.IoU}, {&c.MinScore, &d.MinScore}, {&c.Small, &d.Small}, {&c.Large, &d.Large},
		{&c.OffCentre, &d.OffCentre}, {&c.Dark, &d.Dark}, {&c.Bright, &d.Bright}, {&c.Blurred, &d.Blurred},
		{&c.PupilSpan, &d.PupilSpan}, {&c.PupilSpanX, &d.PupilSpanX},
	} {
		if *p.v == 0 {
			*p.v = *p.def
		}
	}
	return c
}
