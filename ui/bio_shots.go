package ui

// BioShot is where the biometrics screen's attempt is, for the screenshot
// tool (`signkiosk screens`) to photograph it mid-sequence. Nothing in the
// kiosk calls it.
type BioShot struct {
	Shown    bool // the biometrics screen is up
	Moves    int  // moves in the provider's sequence; 0 before it is known
	Move     int  // index of the move asked or just done
	Phase    LivePhase
	Progress float64
}

// BioForScreens reports the biometrics screen's attempt. For the
// screenshot tool only; on the Fyne thread.
func (u *UI) BioForScreens() BioShot {
	bs, ok := u.screen.(*biometricsScreen)
	if !ok {
		return BioShot{}
	}
	return BioShot{Shown: true, Moves: len(bs.seq.moves), Move: bs.seq.move, Phase: bs.seq.phase, Progress: bs.seq.progress}
}
