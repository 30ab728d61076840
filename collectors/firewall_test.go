package collectors

import "testing"

func TestUfwEnabled(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{{"ENABLED=yes\n", true}, {"# ENABLED=yes\nENABLED=no\n", false}, {"ENABLED=\"yes\"\n", true}, {"LOGLEVEL=low\n", false}}
	for _, tt := range tests {
		if got := ufwEnabled(tt.in); got != tt.want {
			t.Errorf("ufwEnabled(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
