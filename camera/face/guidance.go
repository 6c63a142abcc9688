package face

// Guidance codes, one per analysed frame, in priority order: the first that
// applies is the one shown. The UI translates "guide.<code>".
const (
	NoFace       = "no_face"        // no face in view
	ManyFaces    = "many_faces"     // more than one face in view
	ComeCloser   = "come_closer"    // the face is too small
	MoveBack     = "move_back"      // the face is too large
	Center       = "center"         // the face is off the frame's centre
	MoreLight    = "more_light"     // the face is too dark
	LessLight    = "less_light"     // the face is too bright (backlight, glare)
	HoldStill    = "hold_still"     // the face is blurred: motion or focus
	LookAtCamera = "look_at_camera" // the eyes were not found
	OK           = "ok"             // good enough to capture
)

// Guidances lists every guidance code in priority order.
func Guidances() []string {
	return []string{NoFace, ManyFaces, ComeCloser, MoveBack, Center, MoreLight, LessLight, HoldStill, LookAtCamera, OK}
}
