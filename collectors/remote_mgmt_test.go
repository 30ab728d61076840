package collectors

import "testing"

func TestConfValue(t *testing.T) {
	tests := []struct{ conf, key, want string }{
		{"TeamViewer Global Settings\n\n[int32] ClientID = 1234567890\n", "ClientID", "1234567890"},
		{"ad.anynet.alias=\nad.anynet.id=987654321\n", "ad.anynet.id", "987654321"},
		{"enc_id = 'xyz'\nid = '123456789'\n", "id", "123456789"},
		{"other = 1\n", "id", ""},
	}
	for _, tt := range tests {
		if got := confValue(tt.conf, tt.key); got != tt.want {
			t.Errorf("confValue(%q, %q) = %q, want %q", tt.conf, tt.key, got, tt.want)
		}
	}
}
