package assets

import "embed"

// cascades are pigo's face and pupil cascades (MIT, see cascades/LICENSE-pigo.txt),
// embedded so the kiosk needs no files beside its binary to analyse faces.
//
//go:embed cascades/facefinder cascades/puploc cascades/LICENSE-pigo.txt
var cascades embed.FS

// FaceFinder returns pigo's facefinder cascade, a fresh copy on each call.
func FaceFinder() []byte { return mustReadFS(cascades, "cascades/facefinder") }

// PupilLocator returns pigo's puploc cascade, a fresh copy on each call.
func PupilLocator() []byte { return mustReadFS(cascades, "cascades/puploc") }

// CascadeLicense returns the MIT licence notice the cascades travel with.
func CascadeLicense() []byte { return mustReadFS(cascades, "cascades/LICENSE-pigo.txt") }

func mustReadFS(fs embed.FS, name string) []byte {
	b, err := fs.ReadFile(name)
	if err != nil {
		// The go:embed directive above guarantees the file; reaching this is a build defect.
		panic("assets: " + err.Error())
	}
	return b
}
