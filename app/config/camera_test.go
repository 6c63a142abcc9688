package config

import (
	"slices"
	"strings"
	"testing"
)

func TestCameraAllowList(t *testing.T) {
	c, err := Load(write(t, good+"[camera]\nallow = [\"046d:0825\", \"1BCF:2284\"]\nallow_drivers = [\"uvcvideo\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Camera.Allow, []string{"046d:0825", "1BCF:2284"}) || !slices.Equal(c.Camera.AllowDrivers, []string{"uvcvideo"}) {
		t.Fatalf("camera %+v", c.Camera)
	}
	if d := Default().Camera; d.Allow != nil || d.AllowDrivers != nil {
		t.Fatalf("the default allows only some cameras: %+v", d)
	}
	for name, body := range map[string]string{
		"no product":   "allow = [\"046d\"]\n",
		"not hex":      "allow = [\"046d:08zz\"]\n",
		"a name":       "allow = [\"Logitech C525\"]\n",
		"not a list":   "allow = \"046d:0825\"\n",
		"empty driver": "allow_drivers = [\"\"]\n",
		"control char": "allow = [\"046d:\\u001b[2J\"]\n",
	} {
		_, err := Load(write(t, good+"[camera]\n"+body))
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if msg := err.Error(); strings.ContainsAny(msg, "\n\x1b") || (name != "not a list" && !strings.Contains(msg, "camera.allow")) {
			t.Errorf("%s: %q", name, msg)
		}
	}
}
