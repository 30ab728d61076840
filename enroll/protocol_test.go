package enroll

import (
	"testing"
	"time"
)

func TestDeviceIDHost(t *testing.T) {
	for id, want := range map[string]string{
		"pc42-2024-10-18-16-44-47":             "pc42",
		"pc42.example.org-2024-10-18-16-44-47": "pc42.example.org",
		"café-2024-10-18-16-44-47":             "café",
		"pc42-2024-13-18-16-44-47":             "", // no 13th month
		"-2024-10-18-16-44-47":                 "",
		"pc/42-2024-10-18-16-44-47":            "",
		"pc..42-2024-10-18-16-44-47":           "",
		"pc42":                                 "",
	} {
		if got := DeviceIDHost(id); got != want {
			t.Errorf("DeviceIDHost(%q) = %q, want %q", id, got, want)
		}
	}
	// The service's deviceids, in UTC whatever the zone, are ones it reads back.
	at := time.Date(2024, 10, 18, 18, 44, 47, 0, time.FixedZone("CEST", 2*3600))
	if id := GLPIDeviceID("pc42", at); id != "pc42-2024-10-18-16-44-47" || DeviceIDHost(id) != "pc42" {
		t.Errorf("GLPIDeviceID(pc42, %v) = %q, host %q", at, id, DeviceIDHost(id))
	}
	for _, tt := range []struct {
		a, b string
		same bool
	}{
		{"pc42", "pc42", true}, {"PC42.example.org", "pc42", true}, {"pc42", "pc43", false}, {"", "", false}, {".x", ".x", false},
	} {
		if got := SameHost(tt.a, tt.b); got != tt.same {
			t.Errorf("SameHost(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.same)
		}
	}
}
