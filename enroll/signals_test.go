package enroll

import "testing"

func TestSignalUUID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"4c4c4544-0042-3510-8052-b4c04f4e4b32", "44454C4C-4200-1035-8052-B4C04F4E4B32"},
		// The same VMware guest seen in both byte orders gives one signal.
		{"564D9A2B-1C3D-4E5F-8A9B-0C1D2E3F4A5B", "2B9A4D56-3D1C-5F4E-8A9B-0C1D2E3F4A5B"},
		{"2B9A4D56-3D1C-5F4E-8A9B-0C1D2E3F4A5B", "2B9A4D56-3D1C-5F4E-8A9B-0C1D2E3F4A5B"},
		{" 2b9a4d56-3d1c-5f4e-8a9b-0c1d2e3f4a5b\n", "2B9A4D56-3D1C-5F4E-8A9B-0C1D2E3F4A5B"},
		{"03000200-0400-0500-0006-000700080009", ""},
		{"01234567-8910-1112-1314-151617181920", ""},
		{"FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", ""},
		{"4C4C454-40042-3510-8052-B4C04F4E4B32", ""},
		{"not-a-uuid", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := SignalUUID(tt.in); got != tt.want {
			t.Errorf("SignalUUID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
