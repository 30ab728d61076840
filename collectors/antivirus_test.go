package collectors

import (
	"testing"
	"time"
)

func TestParseCVDHeader(t *testing.T) {
	hdr := []byte("ClamAV-VDB:10 Jun 2024 07:26 -0400:27300:2061543:90:X:X:raynman:1718018820      ")
	v, built, err := parseCVDHeader(hdr)
	want := time.Date(2024, 6, 10, 11, 26, 0, 0, time.UTC)
	if err != nil || v != "27300" || !built.Equal(want) {
		t.Errorf("parseCVDHeader = %q, %v, %v, want 27300, %v", v, built, err, want)
	}
	for _, bad := range []string{"", "PK\x03\x04", "ClamAV-VDB:garbage:1"} {
		if _, _, err := parseCVDHeader([]byte(bad)); err == nil {
			t.Errorf("parseCVDHeader(%q) = nil error, want an error", bad)
		}
	}
}

func TestParseINIValue(t *testing.T) {
	in := "PRODUCT_NAME = Sophos Protection for Linux\nPRODUCT_VERSION = 1.2.3.4\n"
	if got := parseINIValue(in, "PRODUCT_VERSION"); got != "1.2.3.4" {
		t.Errorf("parseINIValue(PRODUCT_VERSION) = %q, want 1.2.3.4", got)
	}
}
