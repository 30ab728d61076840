package main

import (
	"bytes"
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

// serveRaw starts glpi-enrolld serve with args on dataDir and returns once
// it logs that it serves.
func serveRaw(t *testing.T, dataDir string, args ...string) *bytes.Buffer {
	t.Helper()
	var log syncBuffer
	cmd := exec.Command(bins.enrolld, append([]string{"serve", "--data-dir", dataDir}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(log.String(), "glpi-enrolld serving"); time.Sleep(30 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("glpi-enrolld not serving:\n%s", log.String())
		}
	}
	// The listener is open before the log line: a connection made now waits
	// in its backlog until Serve accepts it.
	return bytes.NewBufferString(log.String())
}

func freeAddr(t *testing.T, host string) string {
	t.Helper()
	ln, err := net.Listen("tcp", host+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
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
	_, port, _ := net.SplitHostPort(freeAddr(t, "127.0.0.1"))
	log := serveRaw(t, data, "--listen", ":"+port)
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
	_, port2, _ := net.SplitHostPort(freeAddr(t, "127.0.0.1"))
	serveRaw(t, data, "--listen", ":"+port2)
	if again, _ := server.PinOfCertFile(filepath.Join(data, server.SelfSignedCertFile)); again != pin {
		t.Errorf("pin after a restart = %s, want %s", again, pin)
	}

	// Plain HTTP beyond loopback only when asked.
	_, port3, _ := net.SplitHostPort(freeAddr(t, "127.0.0.1"))
	serveRaw(t, data2, "--listen", ":"+port3, "--insecure-http")
	if code := status(t, plain, "http://127.0.0.1:"+port3+"/readyz"); code != http.StatusOK {
		t.Errorf("serve --insecure-http: plain GET /readyz = %d, want 200", code)
	}

	// --admin-listen: /metrics there, not on the agents' listener.
	data3 := t.TempDir()
	_, port4, _ := net.SplitHostPort(freeAddr(t, "127.0.0.1"))
	admin := freeAddr(t, "127.0.0.1")
	serveRaw(t, data3, "--listen", "127.0.0.1:"+port4, "--admin-listen", admin)
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
