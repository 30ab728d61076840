package collectors

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/glpi/schematest"
)

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

// remoteRoot returns a host root holding files, by path, and a folder
// where the file broken should be: a file that exists but cannot be read.
func remoteRoot(t *testing.T, files map[string]string, broken string) string {
	t.Helper()
	root := t.TempDir()
	for name, text := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, filepath.FromSlash(broken)), 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

// checkRemote compares the section a remote_mgmt collector returned with
// want and validates it against the schema.
func checkRemote(t *testing.T, name string, got any, err error, want []RemoteMgmt) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s =\n%+v\nwant\n%+v", name, got, want)
	}
	schematest.Validate(t, map[string]any{
		"deviceid": "x-2024-01-01-00-00-00",
		"content":  map[string]any{"versionclient": "test", "remote_mgmt": got},
	})
}

func TestDWServiceKey(t *testing.T) {
	for _, tc := range []struct{ conf, want string }{
		{`{"key": "xxXXxXXxxXxxxXXXxxXX", "enabled": true}`, "xxXXxXXxxXxxxXXXxxXX"},
		{`{"key": " padded "}`, "padded"},
		{`{"key": 1234}`, "1234"},
		{`{"key": null}`, ""},
		{`{"enabled": true}`, ""},
	} {
		got, err := dwServiceKey([]byte(tc.conf))
		if err != nil || got != tc.want {
			t.Errorf("dwServiceKey(%s) = %q, %v; want %q", tc.conf, got, err, tc.want)
		}
	}
	if got, err := dwServiceKey([]byte("key=x")); err == nil {
		t.Errorf("dwServiceKey(key=x) = %q, nil; want an error", got)
	}
}

func TestConfMatch(t *testing.T) {
	for _, tc := range []struct {
		text string
		re   *lazyRegexp
		want string
	}{
		{"ad.anynet.alias=\r\nad.anynet.id=987654321\r\n", anyDeskIDLine, "987654321"},
		{"ad.anynet.id = 987654321\n", anyDeskIDLine, ""},
		{"enc_id = 'x'\nid = '1234567890'\n", rustDeskIDLine, "1234567890"},
		{"id = \"1234567890\"\n", rustDeskIDLine, ""},
		{"  id = '1234567890'\n", rustDeskIDLine, ""},
		{"ID=SG_-1234567890\n", simpleHelpIDLine, "-1234567890"},
		{"ID=SG_SG_42", simpleHelpIDLine, "42"},
		{"ID=42\n", simpleHelpIDLine, ""},
	} {
		if got := confMatch([]byte(tc.text), tc.re); got != tc.want {
			t.Errorf("confMatch(%q, %s) = %q, want %q", tc.text, tc.re, got, tc.want)
		}
	}
}
