package pack

import (
	"archive/zip"
	"bytes"
	"fmt"
)

// File returns one file of a package (at most 32 MiB unpacked), for tools
// that need a part after Verify looked at the whole: the card to serve,
// the CMS to extract.
func File(zipBytes []byte, name string) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(zipBytes), int64(len(zipBytes)))
	if err != nil {
		return nil, fmt.Errorf("package: %w", err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			b, err := readLimited(f, defaultMaxEntry)
			if err != nil {
				return nil, fmt.Errorf("package: %s: %w", name, err)
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("package: no file %q", name)
}
