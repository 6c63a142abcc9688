package camera

import (
	"math"
	"time"
)

// How the demo's stand-in subscriber acts a move out, at a person's pace.
//
// A turn is a yaw: the drawn features (eyes, nose, mouth) slide toward the
// turn inside a head outline that narrows a little, while the head shifts
// sideways a little too; together they move the pupils' midpoint by about
// 0.26 face widths, what face.Check measures (0.15 passes). Coming closer
// grows the face by closerGrow (the pupils' distance by as much; 20 %
// passes). Each move starts actReact after it is asked (the subscriber
// reads the prompt), ramps in over actRamp with an ease in and out, and
// holds until the next Act: a new move ramps from wherever the face is (a
// turn left then right swings through the centre, over a longer ramp), and
// Act("") eases back to rest.
//
// The motion is timed by the clock, as a person's is, never by frames:
// however slowly frames are analysed, the pose is reached within
// actReact+actRamp and held as long as the capture needs it.
const (
	actReact   = 400 * time.Millisecond
	actRamp    = time.Second
	turnShift  = 0.18                    // sideways shift of the head in a turn, in face widths
	maxYaw     = 12 * math.Pi / 180      // the head's rotation in a turn (past ~14° pigo's frontal cascade starts to miss it)
	headNarrow = 0.04                    // how much narrower the head outline is at maxYaw
	noseOut    = 0.15                    // how far the nose stands out of the face's sphere, in box sides
	closerGrow = 0.50                    // growth of the face coming closer: pigo's box (and the pupils found in it) trails the drawn size, by ~15 % at 35 % growth
	yawSteps   = 8                       // sprites per side of a turn (yaw quantised to maxYaw/yawSteps)
	growStep   = 0.05                    // sprite sizes coming closer (growth quantised)
	faceSide   = 0.5                     // the face box's side over the frame height at rest
	bobPeriod  = 4 * time.Second         // a slight bob and sway keep the preview alive
	bobAmount  = 0.01                    // of the frame height
	swayPeriod = 2700 * time.Millisecond // and a sideways sway, out of step with the bob
	swayAmount = 0.006                   // of the frame height
	maxSprites = 64                      // sprites cached before the cache starts over (a bound on memory)
	spriteIdle = 10 * time.Second        // a sprite no frame drew for this long is dropped
	swingRamp  = actRamp * 3 / 2         // the ramp of a turn to the other side
	restRamp   = actRamp * 7 / 10        // the ramp back to rest: relaxing is quicker than a move
	minRamp    = actRamp / 2             // the ramp of a small change of pose
)

// pose is where the drawn face is: its centre's offset in face widths
// (+ = image right = the subscriber's left), its yaw as a fraction of
// maxYaw (+ = turned to the subscriber's left: the features toward the
// image's right) and its growth over the size at rest. The zero pose is
// the face at rest, looking at the camera.
type pose struct{ dx, yaw, grow float64 }

// poseOf is the pose a move holds; false for an unknown move. "" is rest.
func poseOf(move string) (pose, bool) {
	switch move {
	case "":
		return pose{}, true
	case "turn_left":
		return pose{dx: turnShift, yaw: 1}, true
	case "turn_right":
		return pose{dx: -turnShift, yaw: -1}, true
	case "come_closer":
		return pose{grow: closerGrow}, true
	}
	return pose{}, false
}

// motion is the face going from one pose to another: from at start+delay
// over ramp, then holding to.
type motion struct {
	from, to    pose
	start       time.Time
	delay, ramp time.Duration
	moving      bool // false: the face has always been at rest
}

// at is the pose at t.
func (m motion) at(t time.Time) pose {
	if !m.moving {
		return pose{}
	}
	el := t.Sub(m.start) - m.delay
	if el <= 0 {
		return m.from
	}
	u := min(float64(el)/float64(m.ramp), 1)
	e := u * u * (3 - 2*u) // ease in and out
	return pose{
		dx:   m.from.dx + (m.to.dx-m.from.dx)*e,
		yaw:  m.from.yaw + (m.to.yaw-m.from.yaw)*e,
		grow: m.from.grow + (m.to.grow-m.from.grow)*e,
	}
}

// toward starts a motion from the pose at now to to.
func toward(cur motion, to pose, now time.Time) motion {
	from := cur.at(now)
	dist := max(math.Abs(to.yaw-from.yaw), math.Abs(to.grow-from.grow)/closerGrow, math.Abs(to.dx-from.dx)/turnShift)
	m := motion{from: from, to: to, start: now, moving: true}
	switch {
	case to == pose{}:
		m.ramp = restRamp
	case dist > 1.5:
		m.ramp, m.delay = swingRamp, actReact
	case dist < 0.5:
		m.ramp, m.delay = minRamp, actReact
	default:
		m.ramp, m.delay = actRamp, actReact
	}
	return m
}

// Act makes the next frames perform move ("turn_left", "turn_right" from
// the subscriber's point of view, "come_closer") from the pose the face is
// in, and hold it; "" eases back to rest; other values are ignored. It
// implements Actor.
func (s *Synthetic) Act(move string) {
	to, ok := poseOf(move)
	if !ok {
		return
	}
	now := clockOr(s.Clock).Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.motion = toward(s.motion, to, now)
}

// poseAt is the face's pose at t.
func (s *Synthetic) poseAt(t time.Time) pose {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.motion.at(t)
}

// spriteKey names a drawn face: its box side and its yaw step.
type spriteKey struct{ side, yaw int }

// placement is the face's offset (as pose's dx) and the sprite that draws
// it at t: yaw and growth are quantised so that a handful of sprites serve
// every frame of a move.
func (s *Synthetic) placement(t time.Time) (dx float64, k spriteKey) {
	p := s.poseAt(t)
	grow := math.Round(p.grow/growStep) * growStep
	return p.dx, spriteKey{side: int(math.Round(faceSide * float64(s.H) * (1 + grow))), yaw: int(math.Round(p.yaw * yawSteps))}
}

// bob is the face's offset at t, in pixels: a slight bob and sway, as a
// person standing still has. Besides keeping the preview alive, the sway
// keeps a held pose from sitting on one spot of pigo's search grid, where
// the detector might miss it frame after frame.
func (s *Synthetic) bob(t time.Time) (dx, dy float64) {
	wave := func(period time.Duration) float64 {
		return math.Sin(2 * math.Pi * float64(t.UnixNano()%int64(period)) / float64(period))
	}
	return wave(swayPeriod) * swayAmount * float64(s.H), wave(bobPeriod) * bobAmount * float64(s.H)
}
