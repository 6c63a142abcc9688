package face

import (
	"errors"
	"math"
	"time"
)

// Challenges a Check knows. Left and right are the subscriber's own: with
// the camera facing them (image not mirrored), turning to their left moves
// their face and pupils toward the image's right (+x).
const (
	ChallengeTurnLeft   = "turn_left"
	ChallengeTurnRight  = "turn_right"
	ChallengeComeCloser = "come_closer"
)

// Why a check fails, for errors.Is.
var (
	ErrUnknownChallenge = errors.New("unknown liveness challenge")
	ErrTimeout          = errors.New("challenge not performed in time")
	ErrFaceLost         = errors.New("face lost during the challenge")
	ErrSecondFace       = errors.New("a second face appeared during the challenge")
	ErrTrackJump        = errors.New("the face jumped: not one continuous track")
)

// Status of a Check.
type Status int

// A Check is Pending until it Passes or Fails.
const (
	Pending Status = iota
	Passed
	Failed
)

// Liveness thresholds, in units of the face's own width at the baseline so
// they mean the same near and far.
const (
	baselineFrames = 3    // frames averaged for the starting pose
	turnBy         = 0.15 // pupil-midpoint (or box-centre) shift that counts as a turn
	closerBy       = 0.20 // growth of the face width that counts as coming closer
	holdFrames     = 2    // consecutive frames past the mark, so one jittery box cannot pass
	maxStep        = 0.5  // largest centre move between analysed frames, in face widths
	maxGrow        = 1.5  // largest width change between analysed frames (either way)
	secondFaces    = 2    // consecutive frames with two faces that fail the check
	minJudged      = 6    // one-face frames judged against the baseline before the check may time out
	lostFrames     = 2    // consecutive frames without a face before the face counts as lost
)

// Check follows one face through a challenge. Feed it every analysed frame
// in order; it is not safe for concurrent use.
//
// Coming closer is measured as the growth of the pupils' distance (of the
// box width when the pupils are not found). A turn is measured as the shift of the pupils' midpoint (the box centre
// when the pupils are not found in this frame or the baseline) from the
// baseline, over the baseline face width: turning the head carries the eyes
// toward the turn in the image, and pigo's box, which follows the features,
// moves with them. A sideways step moves them too; the challenge asks for a
// movement the subscriber makes on request, and the continuity rules below
// reject a swap to another face or a picture pulled across.
//
// There is no blink challenge: pigo's puploc always answers a position
// (closed or covered eyes still get "pupils" at the lid or a band's edge),
// and a pupil-contrast test that rejected covered eyes also rejected real
// open ones in the sample frames, so a blink could not be told reliably.
type Check struct {
	challenge string
	deadline  time.Time
	cap       time.Time // the hard deadline when frames come too slowly to judge by deadline
	lostFor   time.Duration
	judged    int // one-face frames measured against the baseline
	empty     int // consecutive frames without a face

	base       [baselineFrames]Analysis
	nBase      int
	based      bool     // the baseline is set
	rest       Rest     // the baseline
	last       Analysis // last frame with one face
	lastSeen   time.Time
	many, hold int
	progress   float64
	status     Status
	err        error
}

// NewCheck starts challenge at start; it fails at start+limit, or when no
// face is seen for lostFor (1 s when 0).
//
// The limit is judged on what the track shows, not on the clock alone: when
// frames are analysed slowly (a loaded machine), the check times out only
// once it has also judged minJudged frames against the baseline (or at
// twice the limit), and the face is lost only after lostFrames consecutive
// frames without it, so a busy machine gives the subscriber as many looks
// as a slow one, never a weaker test: every frame is judged the same.
func NewCheck(challenge string, start time.Time, limit, lostFor time.Duration) *Check {
	c := &Check{challenge: challenge, deadline: start.Add(limit), cap: start.Add(2 * limit), lostFor: lostFor, lastSeen: start}
	if c.lostFor <= 0 {
		c.lostFor = time.Second
	}
	switch challenge {
	case ChallengeTurnLeft, ChallengeTurnRight, ChallengeComeCloser:
	default:
		c.fail(ErrUnknownChallenge)
	}
	return c
}

// Rest gives the check the subscriber's pose just before the challenge was
// asked (the last frames of one good face, oldest first) as its baseline,
// so the baseline is not taken from the first frames of the challenge, when
// a prompt subscriber is already moving (and, with slow analysis, already
// far along). Only the newest frames that agree with each other (one face,
// within half the challenges' thresholds) count, so a frame caught while
// the subscriber was still settling is left out. Call it before the first
// Update; without a usable frame the first frames of the challenge are the
// baseline, as without Rest.
func (c *Check) Rest(frames ...Analysis) {
	if c.status != Pending || c.based || c.nBase > 0 {
		return
	}
	n := RestFrames(frames)
	if n == 0 {
		return
	}
	c.nBase = copy(c.base[:], frames[len(frames)-n:])
	c.last = frames[len(frames)-1]
	c.setBaseline()
}

// RestFrames returns how many of the newest frames (oldest first) Rest
// takes as the baseline: up to three in a row with one face, each still
// against the newest. The capture sends the provider exactly these, so it
// measures moves from the baseline the kiosk measured them from.
func RestFrames(frames []Analysis) int {
	n := 0
	for i := len(frames) - 1; i >= 0 && n < baselineFrames; i-- {
		an := frames[i]
		if an.Faces != 1 || (n > 0 && !Still(frames[len(frames)-1], an)) {
			break
		}
		n++
	}
	return n
}

// Still reports whether b shows the pose of a: the face grown or moved by
// less than half of what passes a challenge.
func Still(a, b Analysis) bool {
	eyes := a.Eyes && b.Eyes
	wa, wb := float64(a.Box.Dx()), float64(b.Box.Dx())
	if wa <= 0 || wb <= 0 {
		return false
	}
	grow := wb / wa
	if eyes && span(a) > 0 {
		grow = span(b) / span(a)
	}
	return math.Abs(grow-1) < closerBy/2 && math.Abs(pointX(b, eyes)-pointX(a, eyes))/wa < turnBy/2
}

// Follow gives the check the last frame of the face seen before this
// check began (a previous move's), the frame the track continues from,
// while Rest stays the baseline moves are measured from: after coming
// closer the next move starts from the grown face, not the one at rest.
// Call it after Rest and before the first Update.
func (c *Check) Follow(last Analysis) {
	if c.status == Pending && c.nBase > 0 && last.Faces == 1 {
		c.last = last
	}
}

// Challenge returns the challenge checked.
func (c *Check) Challenge() string { return c.challenge }

// Status returns the outcome so far, its progress toward passing (0..1) and,
// when Failed, why.
func (c *Check) Status() (Status, float64, error) { return c.status, c.progress, c.err }

func (c *Check) fail(err error) (Status, float64, error) {
	c.status, c.err = Failed, err
	return c.Status()
}

// Update feeds the analysis of the frame taken at now.
func (c *Check) Update(an Analysis, now time.Time) (Status, float64, error) {
	if c.status != Pending {
		return c.Status()
	}
	switch {
	case an.Faces > 1:
		if c.many++; c.many >= secondFaces {
			return c.fail(ErrSecondFace)
		}
	case an.Faces == 0:
		c.many = 0
		if c.empty++; c.empty >= lostFrames && now.Sub(c.lastSeen) > c.lostFor {
			return c.fail(ErrFaceLost)
		}
	default:
		c.many, c.empty = 0, 0
		if c.nBase > 0 && !continuous(c.last, an) {
			return c.fail(ErrTrackJump)
		}
		c.last, c.lastSeen = an, now
		if !c.based {
			c.base[c.nBase] = an
			c.nBase++
			if c.nBase == baselineFrames {
				c.setBaseline()
			}
		} else if c.judged++; c.measure(an) >= 1 {
			if c.hold++; c.hold >= holdFrames {
				c.status, c.progress = Passed, 1
				return c.Status()
			}
		} else {
			c.hold = 0
		}
	}
	if !now.Before(c.cap) || (!now.Before(c.deadline) && c.judged >= minJudged) {
		return c.fail(ErrTimeout)
	}
	return c.Status()
}

func (c *Check) setBaseline() {
	c.based = true
	c.rest, _ = NewRest(c.base[:c.nBase]...) // every baseline frame has one face
}

// measure returns how far the face has gone toward passing (1 = there) and
// records it as progress.
func (c *Check) measure(an Analysis) float64 {
	v := c.rest.Toward(an, c.challenge)
	c.progress = math.Min(math.Max(v, 0), 1)
	if v >= 1 {
		c.progress = 0.99 // 1 only once held
	}
	return v
}

func span(an Analysis) float64 { return float64(an.Pupils[1].X - an.Pupils[0].X) }

func pointX(an Analysis, eyes bool) float64 {
	if eyes {
		return float64(an.Pupils[0].X+an.Pupils[1].X) / 2
	}
	return float64(an.Box.Min.X+an.Box.Max.X) / 2
}

// continuous reports whether b can be the same face as a, one analysed
// frame later: near where it was and about as large.
func continuous(a, b Analysis) bool {
	w0, w1 := float64(a.Box.Dx()), float64(b.Box.Dx())
	if w0 <= 0 || w1 <= 0 || w1/w0 > maxGrow || w0/w1 > maxGrow {
		return false
	}
	ca, cb := centre(a.Box), centre(b.Box)
	return math.Hypot(cb.X-ca.X, cb.Y-ca.Y) <= maxStep*w0
}
