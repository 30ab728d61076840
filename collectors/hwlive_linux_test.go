package collectors

import (
	"errors"
	"testing"
	"time"
)

// hardwareCollectors are the categories of the hardware collectors.
var hardwareCollectors = []string{
	"battery", "bios", "controller", "cpu", "hardware", "memory", "monitor",
	"psu", "sound", "storage", "usb", "video",
}

// TestLiveHardware runs the hardware collectors on this machine: each must
// succeed or have no data, and what it returns must be valid.
func TestLiveHardware(t *testing.T) {
	env := &Env{}
	for _, name := range hardwareCollectors {
		t.Run(name, func(t *testing.T) {
			info, ok := Lookup(name)
			if !ok {
				t.Fatalf("Lookup(%q) found nothing", name)
			}
			start := time.Now()
			v, err := info.Collect(t.Context(), env)
			t.Logf("%s: %v, %d items, err %v", name, time.Since(start), count(v), err)
			if err != nil {
				if !errors.Is(err, ErrNoData) {
					t.Fatalf("%s on this machine: %v", name, err)
				}
				return
			}
			if count(v) == 0 {
				return
			}
			if testing.Verbose() {
				t.Logf("%+v", v)
			}
			validateSection(t, info.Key, v)
		})
	}
}

// collectFixture runs collector name on fixture root testdata/<fixture>,
// validates a non-empty result against the schema and returns it; a result
// with no data is returned as nil.
func collectFixture(t *testing.T, name, fixture string) any {
	t.Helper()
	info, ok := Lookup(name)
	if !ok {
		t.Fatalf("Lookup(%q) found nothing", name)
	}
	v, err := info.Collect(t.Context(), &Env{Root: "testdata/" + fixture})
	if errors.Is(err, ErrNoData) {
		return nil
	}
	if err != nil {
		t.Fatalf("%s on %s: %v", name, fixture, err)
	}
	if count(v) > 0 {
		validateSection(t, info.Key, v)
	}
	return v
}
