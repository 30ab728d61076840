package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/glpi-agentd/glpi-agentd/glpi/glpitest"
)

// screenshotsEnv names a directory the browser test also writes its
// screenshots to, e.g. docs/console to refresh the documentation's.
const screenshotsEnv = "GLPI_CONSOLE_SCREENSHOTS"

// browser starts Debian's chromium headless, with a profile of its own and
// nothing that reaches the network; without chromium the test is skipped,
// or fails under CI.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed (.ci/run installs it): the console's browser test cannot run")
		}
		t.Skip("chromium not installed: browser test skipped (apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.NoFirstRun)
	actx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancel3)
	return ctx
}

// TestConsoleInBrowser drives the console in a real browser against the
// real binaries: an admin signs in, creates a key and copies it, a real
// agent enrolls with it, the device appears, Run now is followed to
// "relayed" from the GLPI stand-in, the device is revoked and the audit
// shows each step with the account; a helpdesk account sees no keys.
func TestConsoleInBrowser(t *testing.T) {
	t.Parallel() // waits on processes and the network, mostly
	ctx := browser(t)
	glpi := glpitest.New(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	adminAddr := ln.Addr().String()
	ln.Close()
	s := startService(t, "--glpi-url", glpi.URL, "--admin-listen", adminAddr)
	ui := "http://" + adminAddr + "/ui/"
	const password = "a long console password"
	for name, role := range map[string]string{"ada": "admin", "hal": "helpdesk"} {
		cmd := exec.Command(bins.enrolld, append(append([]string{"user", "add", name}, s.storeArgs()...), "--role", role, "--password-file", "-")...)
		cmd.Stdin = strings.NewReader(password + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("user add %s: %v\n%s", name, err, out)
		}
	}
	shots := t.TempDir()
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		for _, dir := range []string{shots, os.Getenv(screenshotsEnv)} {
			if dir != "" {
				if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
			t.Fatalf("%s: %v\nat %s:\n%s\nservice log:\n%s", what, err, loc, body, s.log)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}
	login := func(name string) {
		t.Helper()
		do("sign in as "+name,
			chromedp.Navigate(ui),
			chromedp.WaitVisible(chromedp.CSS("#name")),
			chromedp.SendKeys(chromedp.CSS("#name"), name),
			chromedp.SendKeys(chromedp.CSS("#password"), password),
			chromedp.Click(chromedp.CSS("form button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS(".who strong")))
	}

	do("login page", chromedp.Navigate(ui), chromedp.WaitVisible(chromedp.CSS("#password")))
	shot("login")
	login("ada")

	// A key, created and copied.
	do("create a key",
		chromedp.Navigate(ui+"keys"),
		chromedp.WaitVisible(chromedp.CSS("#k-tag")),
		chromedp.SendKeys(chromedp.CSS("#k-tag"), "BROWSER"),
		chromedp.SendKeys(chromedp.CSS("#k-desc"), "made in the browser test"),
		chromedp.Click(chromedp.CSS("#create-key")),
		chromedp.WaitVisible(chromedp.CSS("#secret-key")),
		chromedp.Click(chromedp.CSS("button.copy[data-copy=secret-key]")))
	// The button says so once the clipboard took the key.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("button.copy[data-copy=secret-key]").textContent === "Copied"`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Errorf("the copy button never said Copied: %v", err)
	}
	key, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#secret-key")))
	if err != nil || !strings.HasPrefix(key, "glpik_") {
		t.Fatalf("key shown = %q, %v", key, err)
	}
	shot("key-created")
	do("key list", chromedp.Navigate(ui+"keys"), chromedp.WaitVisible(chromedp.CSS("table.list")))
	if body := text("main"); strings.Contains(body, key) || !strings.Contains(body, "BROWSER") {
		t.Error("the key list shows the key's secret again, or not the key")
	}
	shot("keys")

	// A real agent enrolls with it and keeps a check-in open.
	keyFile := filepath.Join(t.TempDir(), "key")
	os.WriteFile(keyFile, []byte(key+"\n"), 0o600)
	root, state := host(t, "desk-ui-01", "88888888888888888888888888888888", "4C4C4544-0020-0020-0020-000000000020"), t.TempDir()
	alog := startDaemon(t, root, state, "GLPI_AGENTD_SERVER="+s.url, "GLPI_AGENTD_REGISTRATION_KEY_FILE="+keyFile)

	// The device appears in the list.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		do("device list", chromedp.Navigate(ui+"devices?tag=BROWSER"), chromedp.WaitVisible(chromedp.CSS("table.list")))
		if strings.Contains(text("table.list"), "desk-ui-01") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the device never appeared; agent log:\n%s", alog.String())
		}
	}
	shot("devices")
	glpi.WaitInventories(t, 1, 30*time.Second)

	// Run now, followed live to "relayed".
	do("run now",
		chromedp.Click(chromedp.CSS(`table.list a[href^="/ui/devices/"]`)),
		chromedp.WaitVisible(chromedp.CSS("#run-now")),
		chromedp.Click(chromedp.CSS("#run-now")),
		chromedp.WaitVisible(chromedp.CSS(".request[data-follow]")))
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		st := text(".request[data-follow] [data-role=state]")
		if st == "relayed" {
			break
		}
		if st == "failed" || time.Now().After(deadline) {
			t.Fatalf("run now ended %q; steps:\n%s\nagent log:\n%s", st, text(".request[data-follow]"), alog.String())
		}
	}
	steps := text(".request[data-follow] [data-role=steps]")
	for _, want := range []string{"delivered", "running", "sent", "relayed: GLPI answered ok"} {
		if !strings.Contains(steps, want) {
			t.Errorf("progress lacks %q:\n%s", want, steps)
		}
	}
	// The inventories received, each with GLPI's answer: the first one
	// and the one asked for.
	do("device page reloaded", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#inventories")))
	if inv := text("#inventories"); strings.Count(inv, "accepted") < 2 || !strings.Contains(inv, "full") {
		t.Errorf("inventories received: want two full ones accepted by GLPI:\n%s", inv)
	}
	shot("device")

	// Revoke, after the confirmation.
	do("revoke the device",
		chromedp.Click(chromedp.CSS("a.button.danger")),
		chromedp.WaitVisible(chromedp.CSS("form button.danger")))
	shot("confirm")
	do("confirm", chromedp.Click(chromedp.CSS("form button.danger")), chromedp.WaitVisible(chromedp.CSS("h1 .st-revoked")))

	// The audit shows each step with the account.
	do("audit", chromedp.Navigate(ui+"audit?account=ada"), chromedp.WaitVisible(chromedp.CSS("table.list")))
	audit := text("table.list tbody")
	for _, want := range []string{"console_login", "key_created", "run_now_queued", "device_revoked"} {
		if !strings.Contains(audit, want) {
			t.Errorf("the audit of ada lacks %s:\n%s", want, audit)
		}
	}
	shot("audit")
	do("overview", chromedp.Navigate(ui), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	shot("overview")

	// A helpdesk account: no keys in sight, none to create.
	do("sign out", chromedp.Click(chromedp.CSS(".who button")), chromedp.WaitVisible(chromedp.CSS("#password")))
	login("hal")
	if nav := text("nav"); strings.Contains(nav, "Keys") || strings.Contains(nav, "Audit") {
		t.Errorf("helpdesk navigation = %q, want neither Keys nor Audit", nav)
	}
	do("helpdesk opens the keys", chromedp.Navigate(ui+"keys"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if h := text("main h1"); h != "Not allowed" {
		t.Errorf("helpdesk on /ui/keys sees %q, want Not allowed", h)
	}
	t.Logf("screenshots in %s", shots)
}
