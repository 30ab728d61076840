package server

import (
	"maps"
	"os"
	"path/filepath"
	"testing"
)

func TestReadServiceConf(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		want       map[string]string
		wantErr    bool
	}{
		{"packaged file", "# comment\n; comment\n\nGLPI_ENROLLD_OPTS=\"--listen :8443\"\n",
			map[string]string{"GLPI_ENROLLD_OPTS": "--listen :8443"}, false},
		{"database, quoting styles", "GLPI_ENROLLD_DATABASE='postgres://u:p@db/enrolld'\nA=plain\nB=\"with \\\"quote\\\"\"\n export C = x \n",
			map[string]string{"GLPI_ENROLLD_DATABASE": "postgres://u:p@db/enrolld", "A": "plain", "B": `with "quote"`, "C": "x"}, false},
		{"empty value", "GLPI_ENROLLD_DATABASE=\n", map[string]string{"GLPI_ENROLLD_DATABASE": ""}, false},
		{"not an assignment", "--listen :8443\n", nil, true},
		{"space in the key", "A B=1\n", nil, true},
		{"bad quoting", "A=\"x\\q\"\n", nil, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "glpi-enrolld.conf")
			if err := os.WriteFile(path, []byte(tt.text), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := ReadServiceConf(path)
			if (err != nil) != tt.wantErr || !tt.wantErr && !maps.Equal(got, tt.want) {
				t.Errorf("ReadServiceConf = %v, %v; want %v (error %v)", got, err, tt.want, tt.wantErr)
			}
		})
	}
	if _, err := ReadServiceConf(filepath.Join(t.TempDir(), "missing")); !os.IsNotExist(err) {
		t.Errorf("missing file: err = %v, want not exist", err)
	}
}

// The file the packages install parses, and sets what the unit uses.
func TestPackagedServiceConf(t *testing.T) {
	conf, err := ReadServiceConf("../../packaging/enrolld/glpi-enrolld.conf")
	if err != nil {
		t.Fatal(err)
	}
	if conf["GLPI_ENROLLD_OPTS"] == "" {
		t.Errorf("packaged glpi-enrolld.conf sets no GLPI_ENROLLD_OPTS: %v", conf)
	}
	if db, ok := conf["GLPI_ENROLLD_DATABASE"]; ok {
		t.Errorf("packaged glpi-enrolld.conf sets GLPI_ENROLLD_DATABASE=%q: SQLite must be the default", db)
	}
}
