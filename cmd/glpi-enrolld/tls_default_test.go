package main

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/server"
)

// serveRaw starts glpi-enrolld serve with args on dataDir.
func serveRaw(t *testing.T, dataDir string, args ...string) *serving {
	t.Helper()
	return startServe(t, &syncBuffer{}, append([]string{"--data-dir", dataDir}, args...)...)
}

func status(t *testing.T, c *http.Client, url string) int {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestServeTLSByDefault: on an address other hosts reach, serve speaks TLS
// with a self-signed certificate made once in the data dir, whose pin the
// key bundle carries, so a bundle alone enrolls a real agent; plain HTTP
// needs --insecure-http; /metrics and the admin API stay on loopback.
func TestServeTLSByDefault(t *testing.T) {
	data := t.TempDir()
	served := serveRaw(t, data, "--listen", ":0")
	port, log := served.port(), served.log
	url := "https://127.0.0.1:" + port

	plain := &http.Client{Timeout: 5 * time.Second}
	if code := status(t, plain, "http://127.0.0.1:"+port+"/readyz"); code == http.StatusOK {
		t.Errorf("serve --listen :%s answers plain HTTP; want TLS by default", port)
	}
	for _, f := range []string{server.SelfSignedCertFile, server.SelfSignedKeyFile} {
		fi, err := os.Stat(filepath.Join(data, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, want a 0600 file in the data dir", f, err)
		}
	}
	pin, err := server.PinOfCertFile(filepath.Join(data, server.SelfSignedCertFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), pin) {
		t.Errorf("serve does not log its pin %s:\n%s", pin, log)
	}
	insecure := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	if code := status(t, insecure, url+"/readyz"); code != http.StatusOK {
		t.Fatalf("GET %s/readyz over TLS = %d", url, code)
	}

	// No session tickets: agents never resume, so sealing one per
	// connection would be work for nothing. A client that would resume
	// gets a full handshake each time.
	cache := tls.NewLRUClientSessionCache(4)
	for i := range 2 {
		conn, err := tls.Dial("tcp", "127.0.0.1:"+port, &tls.Config{InsecureSkipVerify: true, ClientSessionCache: cache})
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(conn, "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		io.Copy(io.Discard, conn) // reads past the handshake, where a TLS 1.3 ticket would come
		if st := conn.ConnectionState(); st.DidResume || st.NegotiatedProtocol != "" && st.NegotiatedProtocol != "http/1.1" {
			t.Errorf("connection %d: resumed %v, protocol %q; want no session resumption, HTTP/1.1", i, st.DidResume, st.NegotiatedProtocol)
		}
		conn.Close()
	}

	// /metrics: loopback clients only; another address of this host is not.
	if code := status(t, insecure, url+"/metrics"); code != http.StatusOK {
		t.Errorf("/metrics from loopback = %d, want 200", code)
	}
	if ip := nonLoopbackIP(); ip != "" {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
		other := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
		if code := status(t, other, "https://"+net.JoinHostPort(ip, port)+"/metrics"); code != http.StatusNotFound {
			t.Errorf("/metrics from %s = %d, want 404", ip, code)
		}
	}

	// One string: the URL, the pin and the key; a real agent enrolls with it.
	keyFile := filepath.Join(t.TempDir(), "bundle")
	run := exec.Command(bins.enrolld, "key", "create", "--data-dir", data, "--tag", "t", "--bundle", url, "--output", keyFile)
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("key create --bundle: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(keyFile)
	bundle, err := enroll.ParseBundle(string(b))
	if err != nil || bundle.URL != url || bundle.Pin != pin {
		t.Fatalf("bundle = %+v, %v; want %s with pin %s", bundle, err, url, pin)
	}
	root := host(t, "pc-tls", "0123456789abcdef0123456789abcdef", "4c4c4544-0000-1111-2222-333344445555")
	out, code := agentRun(t, root, t.TempDir(), nil, "enroll", "--key-file", keyFile)
	if code != 0 {
		t.Errorf("glpi-agentd enroll with the bundle: exit %d\n%s", code, out)
	}

	// Made once: a restart keeps the certificate, so the pin holds.
	data2 := t.TempDir()
	serveRaw(t, data, "--listen", ":0")
	if again, _ := server.PinOfCertFile(filepath.Join(data, server.SelfSignedCertFile)); again != pin {
		t.Errorf("pin after a restart = %s, want %s", again, pin)
	}

	// Plain HTTP beyond loopback only when asked.
	port3 := serveRaw(t, data2, "--listen", ":0", "--insecure-http").port()
	if code := status(t, plain, "http://127.0.0.1:"+port3+"/readyz"); code != http.StatusOK {
		t.Errorf("serve --insecure-http: plain GET /readyz = %d, want 200", code)
	}

	// --admin-listen: /metrics there, not on the agents' listener.
	data3 := t.TempDir()
	withAdmin := serveRaw(t, data3, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0")
	port4, admin := withAdmin.port(), withAdmin.adminAddr(t)
	if code := status(t, plain, "http://127.0.0.1:"+port4+"/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics on the agents' listener with --admin-listen = %d, want 404", code)
	}
	if code := status(t, plain, "http://"+admin+"/metrics"); code != http.StatusOK {
		t.Errorf("/metrics on --admin-listen = %d, want 200", code)
	}
	if code := status(t, plain, "http://"+admin+enroll.PathEnroll); code != http.StatusNotFound {
		t.Errorf("the agents' API on --admin-listen = %d, want 404", code)
	}
}

// nonLoopbackIP returns an address of this host that is not loopback, or "".
func nonLoopbackIP() string {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	return ""
}
