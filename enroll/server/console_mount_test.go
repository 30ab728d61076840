package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/enroll/store"
)

// TestConsoleOnAdminListenerOnly: the web console is served where the
// admin API is: on the agents' listener to loopback clients only, and not
// at all there once it has a listener of its own.
func TestConsoleOnAdminListenerOnly(t *testing.T) {
	st, err := store.OpenSQLite(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "console") })
	for _, tc := range []struct {
		apart  bool
		remote string
		want   int
	}{
		{false, "127.0.0.1:5000", 200},
		{false, "192.0.2.7:5000", 404},
		{true, "127.0.0.1:5000", 404},
	} {
		s, err := New(Config{Store: st, Secret: make([]byte, 32), Console: ui, AdminApart: tc.apart})
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/ui/", "/ui/keys", "/ui"} {
			req := httptest.NewRequest("GET", path, nil)
			req.RemoteAddr = tc.remote
			rec := httptest.NewRecorder()
			s.apiHandler().ServeHTTP(rec, req)
			want := tc.want
			if want == 200 && path == "/ui" {
				want = http.StatusMovedPermanently
			}
			if rec.Code != want {
				t.Errorf("agents' listener, apart %v, from %s: GET %s = %d, want %d", tc.apart, tc.remote, path, rec.Code, want)
			}
		}
	}
}
