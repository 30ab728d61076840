package collectors

import (
	"regexp"
	"testing"
)

// Every pattern compiles, whichever collectors a test run exercises.
func TestLazyRegexps(t *testing.T) {
	if len(lazyRegexps) < 40 {
		t.Fatalf("%d patterns registered, want the collectors' (over 40)", len(lazyRegexps))
	}
	for _, l := range lazyRegexps {
		if _, err := regexp.Compile(l.src); err != nil {
			t.Errorf("pattern %q: %v", l.src, err)
		}
	}
}
