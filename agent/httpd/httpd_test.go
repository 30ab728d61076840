package httpd

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

type fakeResolver map[string][]netip.Addr

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	return f[host], nil
}

type triggers struct {
	mu   sync.Mutex
	runs [][]string
	full []bool
	at   time.Time // the server's clock
}

func (tr *triggers) now() time.Time {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.at
}

func (tr *triggers) advance(d time.Duration) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.at = tr.at.Add(d)
}

func (tr *triggers) trigger(full bool, cats []string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.full = append(tr.full, full)
	tr.runs = append(tr.runs, cats)
}

func (tr *triggers) count() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return len(tr.runs)
}

func start(t *testing.T, trust []string, hosts []string, res fakeResolver) (*Server, *triggers) {
	t.Helper()
	tr := &triggers{at: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s, err := New(Config{
		Addr:        "127.0.0.1:0",
		Trust:       trust,
		ServerHosts: hosts,
		Status:      func() string { return "waiting" },
		Trigger:     tr.trigger,
		Version:     "test",
		Resolver:    res,
	})
	if err != nil {
		t.Fatal(err)
	}
	s.srv.ReadHeaderTimeout = 300 * time.Millisecond
	s.now = tr.now
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return s, tr
}

// get calls the server from the given local address (other loopback
// addresses such as 127.0.0.2 play untrusted clients).
func get(t *testing.T, s *Server, from, path string) (int, string) {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}, Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + s.Addr().String() + path)
	if err != nil {
		t.Fatalf("GET %s from %s: %v", path, from, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestStatus(t *testing.T) {
	s, _ := start(t, nil, nil, nil)
	for _, from := range []string{"127.0.0.1", "127.0.0.2"} {
		code, body := get(t, s, from, "/status")
		if code != 200 || body != "status: waiting" {
			t.Errorf("GET /status from %s = %d %q, want 200 %q", from, code, body, "status: waiting")
		}
	}
}

func TestNowTrust(t *testing.T) {
	res := fakeResolver{"glpi.example.com": {netip.MustParseAddr("127.0.0.5")}, "helpdesk.example.com": {netip.MustParseAddr("127.0.0.6")}}
	// The official agent's forms too: a range, and a prefix without its
	// zero octets.
	s, tr := start(t, []string{"127.0.1.0/24", "127.0.0.4", "helpdesk.example.com", "127.0.2.10 - 127.0.2.20", "127.3/16"}, []string{"glpi.example.com"}, res)
	tests := []struct {
		from string
		want int
	}{
		{"127.0.0.1", 200},  // the host itself
		{"127.0.0.2", 403},  // another address: untrusted
		{"127.0.1.9", 200},  // httpd_trust CIDR
		{"127.0.0.4", 200},  // httpd_trust IP
		{"127.0.0.5", 200},  // the GLPI server's address
		{"127.0.0.6", 200},  // httpd_trust host name
		{"127.0.2.15", 200}, // httpd_trust range
		{"127.0.2.21", 403}, // just past it
		{"127.3.4.5", 200},  // httpd_trust 127.3/16
		{"127.0.0.7", 403},  // nobody
	}
	want := 0
	for _, tt := range tests {
		tr.advance(remoteInterval) // one request a minute
		code, _ := get(t, s, tt.from, "/now")
		if code != tt.want {
			t.Errorf("GET /now from %s = %d, want %d", tt.from, code, tt.want)
		}
		if tt.want == 200 {
			want++
		}
	}
	if tr.count() != want {
		t.Errorf("%d runs triggered, want %d (one per trusted call, none for refused ones)", tr.count(), want)
	}
}

func TestNowPartial(t *testing.T) {
	s, tr := start(t, nil, nil, nil)
	code, _ := get(t, s, "127.0.0.1", "/now?partial=yes&category=software,cpu")
	if code != 200 || tr.count() != 1 {
		t.Fatalf("GET /now?partial = %d, %d runs", code, tr.count())
	}
	if tr.full[0] || !slices.Equal(tr.runs[0], []string{"software", "cpu"}) {
		t.Errorf("partial /now triggered full=%v categories %v, want partial software,cpu", tr.full[0], tr.runs[0])
	}
	get(t, s, "127.0.0.1", "/now")
	if !tr.full[1] || tr.runs[1] != nil {
		t.Errorf("plain /now triggered full=%v categories %v, want a full run", tr.full[1], tr.runs[1])
	}
}

func TestNoFileServing(t *testing.T) {
	s, tr := start(t, nil, nil, nil)
	for _, p := range []string{"/etc/passwd", "/../../etc/passwd", "/deploy/getFile/x", "/status/../now"} {
		if code, _ := get(t, s, "127.0.0.2", p); code != 404 && code != 403 {
			t.Errorf("GET %s = %d, want 404", p, code)
		}
	}
	if tr.count() != 0 {
		t.Errorf("untrusted paths triggered %d runs", tr.count())
	}
}

func TestSlowAndOversizedClients(t *testing.T) {
	s, _ := start(t, nil, nil, nil)
	// Slowloris: headers never finish; the server hangs up.
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /status HTTP/1.1\r\nHost: x\r\n")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	io.ReadAll(c) // returns when the server closes
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("slow client held for %v, want cut at the header timeout", d)
	}

	// Oversized headers: refused with 431.
	c2, _ := net.Dial("tcp", s.Addr().String())
	defer c2.Close()
	io.WriteString(c2, "GET /status HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 64<<10)+"\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c2), nil)
	if err != nil || resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("oversized header: %v %v, want 431", resp, err)
	}

	// The listener still answers.
	if code, _ := get(t, s, "127.0.0.1", "/status"); code != 200 {
		t.Errorf("after hostile clients GET /status = %d", code)
	}
}

func TestMethods(t *testing.T) {
	s, tr := start(t, nil, nil, nil)
	resp, err := http.Post("http://"+s.Addr().String()+"/now", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || tr.count() != 0 {
		t.Errorf("POST /now = %d with %d runs, want 405 and none", resp.StatusCode, tr.count())
	}
}

func TestBadTrust(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "10.0.0.20 - 10.0.0.1", "10.0.0.1-::1", "10.1/33"} {
		_, err := New(Config{Trust: []string{bad}, Status: func() string { return "" }, Trigger: func(bool, []string) {}})
		if err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("New with httpd_trust %q: %v, want an error naming it", bad, err)
		}
	}
	// A host name with a dash is a host name.
	if _, err := New(Config{Trust: []string{"glpi-01.example.com"}, Status: func() string { return "" }, Trigger: func(bool, []string) {}}); err != nil {
		t.Errorf("New with a host name with a dash: %v", err)
	}
}

// getWith calls /now from the given local address with extra headers.
func getWith(t *testing.T, s *Server, from string, header map[string]string) (int, http.Header) {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}, Timeout: 5 * time.Second}
	req, _ := http.NewRequest("GET", "http://"+s.Addr().String()+"/now", nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET /now from %s: %v", from, err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// TestNowFromOtherHostsLimited: trusted hosts other than this one start at
// most one inventory a minute; the others wait, told for how long.
func TestNowFromOtherHostsLimited(t *testing.T) {
	s, tr := start(t, []string{"127.0.1.0/24"}, nil, nil)
	if code, _ := getWith(t, s, "127.0.1.1", nil); code != 200 {
		t.Fatalf("first /now from 127.0.1.1 = %d, want 200", code)
	}
	for i := range 20 {
		code, h := getWith(t, s, "127.0.1."+strconv.Itoa(2+i%3), nil)
		if code != http.StatusTooManyRequests || h.Get("Retry-After") != "60" {
			t.Fatalf("/now %d within the minute = %d, Retry-After %q; want 429, 60", i, code, h.Get("Retry-After"))
		}
	}
	if tr.count() != 1 {
		t.Errorf("%d runs triggered within a minute, want 1", tr.count())
	}
	tr.advance(remoteInterval)
	if code, _ := getWith(t, s, "127.0.1.2", nil); code != 200 || tr.count() != 2 {
		t.Errorf("/now a minute later = %d, %d runs; want 200, 2", code, tr.count())
	}
	// This host's own calls are not limited: they merge into the run.
	for range 3 {
		if code, _ := getWith(t, s, "127.0.0.1", nil); code != 200 {
			t.Errorf("/now from 127.0.0.1 = %d, want 200", code)
		}
	}
}

// TestNowFromBrowserPages: a web page open in a browser on this host calls
// /now from 127.0.0.1; only a trusted GLPI page may start an inventory.
func TestNowFromBrowserPages(t *testing.T) {
	res := fakeResolver{}
	s, tr := start(t, nil, []string{"glpi.example.com"}, res)
	tests := []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"script on another site", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, 403},
		{"opaque origin", map[string]string{"Origin": "null"}, 403},
		{"image on another site", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}, 403},
		{"same-site page", map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
		{"GLPI page", map[string]string{"Origin": "https://glpi.example.com", "Sec-Fetch-Site": "cross-site"}, 200},
		{"typed URL", map[string]string{"Sec-Fetch-Site": "none"}, 200},
		{"not a browser", nil, 200},
	}
	want := 0
	for _, tt := range tests {
		code, h := getWith(t, s, "127.0.0.1", tt.header)
		if code != tt.want {
			t.Errorf("%s: /now = %d, want %d", tt.name, code, tt.want)
		}
		if tt.want == 200 {
			want++
		}
		if o := tt.header["Origin"]; code != 200 && h.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s: Access-Control-Allow-Origin %q for %q", tt.name, h.Get("Access-Control-Allow-Origin"), o)
		}
	}
	if tr.count() != want {
		t.Errorf("%d runs triggered, want %d", tr.count(), want)
	}
}

// TestNowPushedTrust: the hosts the enrollment service pushes (its GLPI's)
// are trusted for /now and a browser's Origin, from the request after
// they arrive, and no longer once the service removes them; their calls
// go to PushedTrigger with the caller's address, and stay limited to one a
// minute.
func TestNowPushedTrust(t *testing.T) {
	res := fakeResolver{"glpi.example.com": {netip.MustParseAddr("127.0.0.5")}}
	var (
		mu     sync.Mutex
		pushed []string
		asked  []netip.Addr
	)
	tr := &triggers{at: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s, err := New(Config{
		Addr:    "127.0.0.1:0",
		Status:  func() string { return "waiting" },
		Trigger: tr.trigger,
		Pushed: func() []string {
			mu.Lock()
			defer mu.Unlock()
			return pushed
		},
		PushedTrigger: func(client netip.Addr, full bool, cats []string) {
			mu.Lock()
			asked = append(asked, client)
			mu.Unlock()
		},
		Resolver: res,
	})
	if err != nil {
		t.Fatal(err)
	}
	s.now = tr.now
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	push := func(entries ...string) {
		mu.Lock()
		pushed = entries
		mu.Unlock()
	}
	call := func(from string, header map[string]string) int {
		tr.advance(remoteInterval)
		code, _ := getWith(t, s, from, header)
		return code
	}

	if code := call("127.0.0.5", nil); code != 403 {
		t.Errorf("/now from GLPI before the service pushed it = %d, want 403", code)
	}
	push("glpi.example.com", "127.0.2.0/24")
	for _, from := range []string{"127.0.0.5", "127.0.2.9"} {
		if code := call(from, nil); code != 200 {
			t.Errorf("/now from %s, pushed = %d, want 200", from, code)
		}
	}
	// Within the minute, a pushed host is limited as any other host.
	if code, _ := getWith(t, s, "127.0.0.5", nil); code != http.StatusTooManyRequests {
		t.Errorf("second /now from GLPI within the minute = %d, want 429", code)
	}
	if code := call("127.0.0.1", map[string]string{"Origin": "https://glpi.example.com"}); code != 200 {
		t.Errorf("/now from a page of the pushed GLPI = %d, want 200", code)
	}
	if code := call("127.0.0.1", map[string]string{"Origin": "https://evil.example"}); code != 403 {
		t.Errorf("/now from another page = %d, want 403", code)
	}
	mu.Lock()
	got := slices.Clone(asked)
	mu.Unlock()
	if want := []netip.Addr{netip.MustParseAddr("127.0.0.5"), netip.MustParseAddr("127.0.2.9")}; !slices.Equal(got, want) {
		t.Errorf("PushedTrigger called for %v, want %v (this host's call goes to Trigger)", got, want)
	}
	if tr.count() != 1 {
		t.Errorf("Trigger called %d times, want 1 (the GLPI page on this host)", tr.count())
	}

	push() // the service removed them
	for _, from := range []string{"127.0.0.5", "127.0.2.9"} {
		if code := call(from, nil); code != 403 {
			t.Errorf("/now from %s after the service removed it = %d, want 403", from, code)
		}
	}
	if code := call("127.0.0.1", map[string]string{"Origin": "https://glpi.example.com"}); code != 403 {
		t.Errorf("/now from a page of the removed GLPI = %d, want 403", code)
	}
}
