//go:build linux

package main

// The Windows build against a real WMI and registry: Wine's. It builds
// glpi-agentd.exe, makes a fresh Wine prefix, seeds programs in its
// registry and runs a local inventory, then checks the sections a Windows
// machine must give and that every collector that failed is one Wine is
// known not to serve. Wine is not Windows: it shows that the live path
// (COM, WMI scripting, value conversion, the registry) works on a real
// implementation, not that every class is read as on Windows.
//
// It needs wine64 and the mingw-w64 C compiler (Debian's wine64 and
// gcc-mingw-w64-x86-64-win32, which .ci/run installs); without them it is
// skipped, and under CI (CI=true) it fails.

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll/tlspin/tlstest"
	"github.com/glpi-agentd/glpi-agentd/glpi/glpitest"
	"github.com/glpi-agentd/glpi-agentd/glpi/schematest"
)

// wineAbsent are the collectors Wine 8 cannot serve, with a part of the
// error each must report and why. Each one must fail honestly: an error,
// never an empty section.
var wineAbsent = map[string]struct{ err, why string }{
	"battery":     {"Win32_Battery", "Wine has no Win32_Battery class (WBEM_E_NOT_FOUND); Windows has it, empty without a battery"},
	"input":       {"Win32_Keyboard", "Wine has no Win32_Keyboard or Win32_PointingDevice class; every Windows has both"},
	"licenseinfo": {"SoftwareLicensingProduct", "Wine's WQL parser rejects IS NOT NULL (WBEM_E_INVALID_QUERY)"},
	"local_group": {"Win32_Group", "Wine has no Win32_Group class"},
	"local_user":  {"Win32_UserAccount", "Wine has no Win32_UserAccount class"},
	"monitor":     {"Win32_PnPEntity", "Wine's Win32_PnPEntity has no PNPClass to select monitors by (WBEM_E_FAILED)"},
	"printer":     {"Win32_Printer", "Wine has no Win32_Printer class"},
}

// wineNoData are the collectors that must find nothing in a Wine prefix,
// and why: their sources answer as on a Windows machine without them.
var wineNoData = map[string]string{
	"antivirus":      `no Security Center or Defender: WMI has neither namespace, which must read as no antivirus, not as a failure`,
	"virtualmachine": `no Hyper-V: WMI has no root\virtualization namespaces, which must read as no data, not as a failure`,
}

// wineEmpty are the collectors whose source Wine serves without entries,
// and why: each must read and parse it, and find nothing.
var wineEmpty = map[string]string{
	"psu": `Wine builds an SMBIOS table (GetSystemFirmwareTable "RSMB") of the host's DMI data, without power supplies`,
}

// wineRequired are the sections the inventory must hold.
var wineRequired = []string{"bios", "hardware", "operatingsystem", "cpus", "memories", "drives", "storages", "networks", "softwares"}

// wineSeeded are programs written into the prefix's Uninstall keys, the
// second in the 32-bit view.
var wineSeeded = []struct{ key, name, version, publisher string }{
	{`HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\WineTestTool`, "Wine Test Tool", "1.2.3", "Example Corp"},
	{`HKEY_LOCAL_MACHINE\SOFTWARE\Wow6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{6F1C2B1E-0000-4000-8000-000000000001}`, "Wine Test Tool (32-bit)", "4.5", "Example Corp"},
}

// wineUserSeeded is a program written into the Wine user's own Uninstall
// key.
const wineUserSeeded = "Wine User Tool"

// wineTool finds a program of the wine64 package, which Debian installs in
// /usr/lib/wine only.
func wineTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	p := filepath.Join("/usr/lib/wine", name)
	if _, err := os.Stat(p); err != nil {
		return "", errors.New(name + " not found")
	}
	return p, nil
}

// winPath is a host path as Wine sees it, on drive Z: (the root).
func winPath(p string) string { return "Z:" + strings.ReplaceAll(p, "/", `\`) }

func TestWindowsUnderWine(t *testing.T) {
	start := time.Now()
	var tools []string
	for _, name := range []string{"wine64", "wineserver", "x86_64-w64-mingw32-gcc"} {
		p, err := wineTool(name)
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%v: CI installs wine64 and gcc-mingw-w64-x86-64-win32 (.ci/run)", err)
			}
			t.Skipf("%v: install wine64 and gcc-mingw-w64-x86-64-win32 to test the Windows build under Wine", err)
		}
		tools = append(tools, p)
	}
	wine, wineserver, mingw := tools[0], tools[1], tools[2]
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	env := append(os.Environ(),
		"WINEPREFIX="+filepath.Join(dir, "prefix"), "WINEARCH=win64", "WINEDEBUG=-all",
		// No Mono or Gecko installer prompts when the prefix is made.
		"WINEDLLOVERRIDES=mscoree=;mshtml=")
	// run runs a program and returns its standard output. Output goes
	// through files, not pipes: the Wine processes a command leaves
	// running (wineserver, services) would hold a pipe open.
	var runs int
	run := func(name string, args ...string) ([]byte, error) {
		runs++
		stdout := filepath.Join(dir, fmt.Sprintf("out%d", runs))
		stderr := filepath.Join(dir, fmt.Sprintf("err%d", runs))
		o, err := os.Create(stdout)
		if err != nil {
			return nil, err
		}
		defer o.Close()
		e, err := os.Create(stderr)
		if err != nil {
			return nil, err
		}
		defer e.Close()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Env, cmd.Stdout, cmd.Stderr = env, o, e
		err = cmd.Run()
		out, _ := os.ReadFile(stdout)
		if err != nil {
			msg, _ := os.ReadFile(stderr)
			return out, fmt.Errorf("%s: %w: %s %s", filepath.Base(name), err, bytes.TrimSpace(msg), bytes.TrimSpace(out))
		}
		return out, nil
	}

	// The executable builds while the prefix is made (~20 s).
	exe := filepath.Join(dir, "glpi-agentd.exe")
	var wg sync.WaitGroup
	var buildErr error
	// Where SQL Server's setup puts it, off the PATH, recorded in the
	// registry (seeded below).
	sqlcmd := filepath.Join(dir, "prefix", "drive_c", "Program Files", "Microsoft SQL Server", "Client SDK", "ODBC", "170", "Tools", "Binn", "SQLCMD.EXE")
	wg.Go(func() {
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", exe, ".")
		cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = errors.New(err.Error() + ": " + string(out))
			return
		}
		// A stand-in for SQL Server's sqlcmd, installed once the prefix is
		// made.
		cmd = exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", filepath.Join(dir, "sqlcmd.exe"), "./testdata/sqlcmd")
		cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = errors.New(err.Error() + ": " + string(out))
		}
	})
	// One persistent wineserver for the whole test, ended however it ends.
	t.Cleanup(func() {
		kill := exec.Command(wineserver, "-k")
		kill.Env = env
		if err := kill.Run(); err != nil {
			t.Logf("wineserver -k: %v", err)
		}
	})
	if err := os.Mkdir(filepath.Join(dir, "prefix"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := run(wineserver, "-p"); err != nil {
		t.Fatalf("start wineserver: %v", err)
	}
	shim := filepath.Join(dir, "bcryptprimitives.dll")
	if _, err := run(mingw, "-shared", "-O2", "-o", shim, filepath.Join("..", "..", "packaging", "windows", "wine", "bcryptprimitives.c"), "-ladvapi32"); err != nil {
		t.Fatalf("build the bcryptprimitives.dll shim: %v", err)
	}
	if _, err := run(wine, "wineboot", "--init"); err != nil {
		t.Fatalf("make the Wine prefix: %v", err)
	}
	// Go executables draw random bytes from ProcessPrng, which Wine 8 lacks.
	b, err := os.ReadFile(shim)
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "prefix", "drive_c", "windows", "system32", "bcryptprimitives.dll"), b, 0o644)
	}
	if err != nil {
		t.Fatalf("install the shim: %v", err)
	}
	seed := func(key, name, typ, data string) {
		// Right after wineboot, on a loaded machine, reg.exe has failed
		// now and then without a word: the seeding is tried again, the
		// test's checks are not.
		var err error
		for attempt := range 3 {
			if _, err = run(wine, "reg", "add", key, "/v", name, "/t", typ, "/d", data, "/f"); err == nil {
				return
			}
			t.Logf("seed %s, attempt %d: %v", key, attempt+1, err)
			time.Sleep(2 * time.Second)
		}
		t.Fatalf("seed %s: %v", key, err)
	}
	for _, s := range wineSeeded {
		for _, v := range [][2]string{{"DisplayName", s.name}, {"DisplayVersion", s.version}, {"Publisher", s.publisher}} {
			seed(s.key, v[0], "REG_SZ", v[1])
		}
	}
	seed(`HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Uninstall\WineUserTool`, "DisplayName", "REG_SZ", wineUserSeeded)
	seed(`HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Uninstall\WineUserTool`, "DisplayVersion", "REG_SZ", "7.8")
	// Two remote control tools: TeamViewer's id in the registry, as a
	// DWORD, and AnyDesk's in its service's configuration file.
	seed(`HKEY_LOCAL_MACHINE\SOFTWARE\TeamViewer`, "ClientID", "REG_DWORD", "1234567890")
	anydesk := filepath.Join(dir, "prefix", "drive_c", "ProgramData", "AnyDesk", "system.conf")
	if err := os.MkdirAll(filepath.Dir(anydesk), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(anydesk, []byte("ad.anynet.alias=\r\nad.anynet.id=987654321\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The official agent was here before: its state file, as Perl's
	// Storable writes it, names this machine.
	hostname, _ := os.Hostname()
	hostname, _, _ = strings.Cut(hostname, ".")
	official := hostname + "-2024-10-18-16-44-47"
	dump := filepath.Join(dir, "prefix", "drive_c", "Program Files", "GLPI-Agent", "var", "GLPI-Agent.dump")
	if err := os.MkdirAll(filepath.Dir(dump), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dump, storableHash(map[string]string{"deviceid": official}), 0o644); err != nil {
		t.Fatal(err)
	}
	// A SQL Server Express instance, asked through sqlcmd, which is where
	// the client tools' key says.
	seed(`HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Microsoft SQL Server\160\Tools\ClientSetup`, "ODBCToolsPath", "REG_SZ",
		`C:\Program Files\Microsoft SQL Server\Client SDK\ODBC\170\Tools\Binn\`)
	seed(`HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Microsoft SQL Server\Instance Names\SQL`, "SQLEXPRESS", "REG_SZ", "MSSQL16.SQLEXPRESS")
	seed(`HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Microsoft SQL Server\MSSQL16.SQLEXPRESS\MSSQLServer\SuperSocketNetLib\Tcp\IPAll`, "TcpDynamicPorts", "REG_SZ", "49733")

	prefixDone := time.Since(start)
	wg.Wait()
	if buildErr != nil {
		t.Fatalf("build glpi-agentd.exe: %v", buildErr)
	}
	if err := os.MkdirAll(filepath.Dir(sqlcmd), 0o755); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "sqlcmd.exe")); err != nil || os.WriteFile(sqlcmd, b, 0o755) != nil {
		t.Fatalf("install sqlcmd.exe: %v", err)
	}

	runStart := time.Now()
	inv := filepath.Join(dir, "inventory.json")
	out, err := run(wine, exe, "inventory", "--json", "--local", winPath(inv), "--state-dir", winPath(filepath.Join(dir, "state")))
	if err != nil {
		t.Fatalf("glpi-agentd.exe inventory: %v\n%s", err, out)
	}
	t.Logf("Wine prefix and build %s, inventory %s, total %s",
		prefixDone.Round(time.Second), time.Since(runStart).Round(100*time.Millisecond), time.Since(start).Round(time.Second))

	var summary struct {
		Collectors []struct {
			Name, Key, Error string
			Items            int
			NoData           bool `json:"no_data"`
		}
	}
	if err := json.Unmarshal(out, &summary); err != nil {
		t.Fatalf("parse the run's summary: %v\n%s", err, out)
	}
	for _, c := range summary.Collectors {
		want, absent := wineAbsent[c.Name]
		if why, ok := wineNoData[c.Name]; ok && !c.NoData {
			t.Errorf("collector %s: error %q, %d items; want no data (%s)", c.Name, c.Error, c.Items, why)
		}
		delete(wineNoData, c.Name)
		if why, ok := wineEmpty[c.Name]; ok && c.Error != "no data: empty" {
			t.Errorf("collector %s: error %q, %d items; want an empty section (%s)", c.Name, c.Error, c.Items, why)
		}
		delete(wineEmpty, c.Name)
		switch {
		case c.Error == "" || c.NoData:
			if absent {
				t.Errorf("collector %s succeeded under Wine, which was known not to serve it (%s): take it off wineAbsent", c.Name, want.why)
			}
		case !absent:
			t.Errorf("collector %s failed: %s", c.Name, c.Error)
		case !strings.Contains(c.Error, want.err):
			t.Errorf("collector %s failed with %q, want an error about %s (%s)", c.Name, c.Error, want.err, want.why)
		}
	}

	for name := range wineNoData {
		t.Errorf("collector %s did not run", name)
	}
	for name := range wineEmpty {
		t.Errorf("collector %s did not run", name)
	}

	doc, err := os.ReadFile(inv)
	if err != nil {
		t.Fatal(err)
	}
	schematest.Validate(t, doc)
	var msg struct {
		DeviceID string
		Content  map[string]json.RawMessage
	}
	if err := json.Unmarshal(doc, &msg); err != nil {
		t.Fatalf("parse the inventory: %v", err)
	}
	if msg.DeviceID != official {
		t.Errorf("deviceid %q, want the official agent's %q from %s", msg.DeviceID, official, `C:\Program Files\GLPI-Agent\var`)
	}
	for _, k := range wineRequired {
		v, ok := msg.Content[k]
		if !ok || slices.Contains([]string{"null", "[]", "{}"}, string(v)) {
			t.Errorf("inventory has no %s", k)
		}
	}
	// The Wine user's own program is listed as theirs, and kept in the
	// state directory for the runs while they are logged off.
	var users []struct{ Name, UserName string }
	json.Unmarshal(msg.Content["softwares"], &users)
	if !slices.ContainsFunc(users, func(s struct{ Name, UserName string }) bool { return s.Name == wineUserSeeded && s.UserName != "" }) {
		t.Errorf("softwares has no %q of a user, seeded in the Wine user's hive", wineUserSeeded)
	}
	kept, _ := filepath.Glob(filepath.Join(dir, "state", "windows-user-software", "S-1-5-21-*.json"))
	if b, err := os.ReadFile(strings.Join(kept, "")); len(kept) != 1 || err != nil || !strings.Contains(string(b), wineUserSeeded) {
		t.Errorf("kept user software %v (%v): want one file with %q", kept, err, wineUserSeeded)
	}
	var remote []struct{ Type, ID string }
	json.Unmarshal(msg.Content["remote_mgmt"], &remote)
	for _, want := range []struct{ Type, ID string }{{"anydesk", "987654321"}, {"teamviewer", "1234567890"}} {
		if !slices.Contains(remote, want) {
			t.Errorf("remote_mgmt %+v has no %+v, seeded in the prefix", remote, want)
		}
	}
	// The instance, from the registry and sqlcmd's answer.
	var dbs []struct {
		Name, Version, Path string
		Port                int
		Size                int
		Databases           []struct {
			Name       string
			Size       int
			UpdateDate string `json:"update_date"`
		}
	}
	json.Unmarshal(msg.Content["databases_services"], &dbs)
	if len(dbs) != 1 || dbs[0].Name != "SQLEXPRESS" || dbs[0].Version != "16.0.1000.6" || dbs[0].Port != 49733 || dbs[0].Size != 16 ||
		dbs[0].Path != `C:\Program Files\Microsoft SQL Server\MSSQL16.SQLEXPRESS\MSSQL\DATA` ||
		len(dbs[0].Databases) != 2 || dbs[0].Databases[1].Name != "Ventes à l'export" || dbs[0].Databases[1].Size != 10 ||
		dbs[0].Databases[1].UpdateDate != "2026-12-06 18:30:00" {
		t.Errorf("databases_services = %s, want SQLEXPRESS on port 49733 with master and \"Ventes à l'export\", as seeded", msg.Content["databases_services"])
	}
	// Then the instance's service is there and stopped, and a second
	// instance's too, never read: neither is asked (the stand-in fails for
	// the second), as WMI's Win32_Service tells; the first is sent as last
	// read, inactive.
	seed(`HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Microsoft SQL Server\Instance Names\SQL`, "STOPPED", "REG_SZ", "MSSQL16.STOPPED")
	for _, svc := range []string{"MSSQL$SQLEXPRESS", "MSSQL$STOPPED"} {
		if _, err := run(wine, "sc", "create", svc, "binPath=", `C:\windows\system32\notepad.exe`, "start=", "demand"); err != nil {
			t.Fatalf("create the service %s: %v", svc, err)
		}
	}
	// Wine's services.exe lists a service it just created to WMI a moment
	// later: until then both instances are asked, and the second fails.
	inv2 := filepath.Join(dir, "inventory-db.json")
	for attempt := 1; ; attempt++ {
		out, err := run(wine, exe, "inventory", "--category", "database", "--local", winPath(inv2), "--state-dir", winPath(filepath.Join(dir, "state")))
		if err != nil {
			t.Fatalf("glpi-agentd.exe inventory --category database: %v\n%s", err, out)
		}
		if !bytes.Contains(out, []byte("instance STOPPED asked")) {
			break
		}
		if attempt == 10 {
			t.Fatalf("the stopped instance was still asked after %d runs:\n%s", attempt, out)
		}
		time.Sleep(time.Second)
	}
	var stopped struct {
		Content struct {
			Databases []struct {
				Name     string
				IsActive bool `json:"is_active"`
			} `json:"databases_services"`
		}
	}
	b2, _ := os.ReadFile(inv2)
	if err := json.Unmarshal(b2, &stopped); err != nil || len(stopped.Content.Databases) != 1 ||
		stopped.Content.Databases[0].Name != "SQLEXPRESS" || stopped.Content.Databases[0].IsActive {
		t.Errorf("databases_services with the services stopped = %+v (%v), want SQLEXPRESS alone, inactive", stopped.Content.Databases, err)
	}
	inventory := func() ([]byte, error) {
		return run(wine, exe, "inventory", "--state-dir", winPath(filepath.Join(dir, "state")))
	}
	// The values an install of the MSI with the official agent's
	// properties leaves.
	checkRegistrySettings(t, seed, inventory, official, registrySettings{
		from: "the MSI's properties", key: `HKEY_LOCAL_MACHINE\SOFTWARE\glpi-agentd`,
		values: func(url string, f tlsFiles) [][3]string {
			return [][3]string{
				{"SERVER", "REG_SZ", url}, {"TAG", "REG_SZ", "site-b"}, {"OAUTH_CLIENT_ID", "REG_SZ", "fleet-msi"},
				{"OAUTH_CLIENT_SECRET", "REG_SZ", "msi-oauth-secret"}, {"NO_CATEGORY", "REG_SZ", "software"},
				{"HTTPD_PORT", "REG_SZ", "62400"}, {"TIMEOUT", "REG_SZ", "60"},
				{"CA_CERT_FILE", "REG_SZ", f.caFile}, {"SSL_CERT_FILE", "REG_SZ", f.certFile}, {"SSL_KEY_FILE", "REG_SZ", f.keyFile},
			}
		},
		client: "fleet-msi", secret: "msi-oauth-secret", tag: "site-b", port: 62400,
	})
	// Then without them, the official agent's own settings, from its key:
	// a quoted string, a DWORD, and a log file that is not taken.
	if _, err := run(wine, "reg", "delete", `HKEY_LOCAL_MACHINE\SOFTWARE\glpi-agentd`, "/f"); err != nil {
		t.Fatalf("delete the MSI's settings: %v", err)
	}
	checkRegistrySettings(t, seed, inventory, official, registrySettings{
		from: "the official agent", key: `HKEY_LOCAL_MACHINE\SOFTWARE\GLPI-Agent`,
		values: func(url string, f tlsFiles) [][3]string {
			return [][3]string{
				{"server", "REG_SZ", url}, {"tag", "REG_SZ", `"site-c"`}, {"oauth-client-id", "REG_SZ", "fleet-official"},
				{"oauth-client-secret", "REG_SZ", "official-oauth-secret"}, {"no-category", "REG_SZ", "software"},
				{"httpd-port", "REG_DWORD", "62401"}, {"logfile", "REG_SZ", `C:\Program Files\GLPI-Agent\logs\glpi-agent.log`},
				{"ca-cert-dir", "REG_SZ", f.caDir}, {"ssl-cert-file", "REG_SZ", f.bothFile},
			}
		},
		client: "fleet-official", secret: "official-oauth-secret", tag: "site-c", port: 62401,
	})

	var softwares []struct{ Name, Version, Publisher string }
	json.Unmarshal(msg.Content["softwares"], &softwares)
	for _, s := range wineSeeded {
		i := slices.IndexFunc(softwares, func(sw struct{ Name, Version, Publisher string }) bool { return sw.Name == s.name })
		if i < 0 {
			t.Errorf("softwares has no %q, seeded under %s", s.name, s.key)
			continue
		}
		if got := softwares[i]; got.Version != s.version || got.Publisher != s.publisher {
			t.Errorf("software %q = version %q publisher %q, want %q %q", s.name, got.Version, got.Publisher, s.version, s.publisher)
		}
	}
}

// registrySettings are the settings an installer leaves in the registry
// for a GLPI 11 stand-in that wants OAuth client credentials, behind a
// proxy that wants a client certificate.
type registrySettings struct {
	from, key      string                                   // who writes them, and where
	values         func(url string, f tlsFiles) [][3]string // name, type, data
	client, secret string
	tag            string
	port           int
}

// tlsFiles are the Windows paths of the TLS files of a registrySettings:
// the server's CA as a file and in a directory, and the client
// certificate with its key apart and in one file.
type tlsFiles struct{ caFile, caDir, certFile, keyFile, bothFile string }

// checkRegistrySettings writes, with seed, the settings rs describes, runs
// an inventory with no configuration file, and checks that it reached the
// stand-in as configured: through its client-certificate check,
// authenticated, tagged, without softwares (each case leaves that category
// out), with hardware, naming its HTTP port in CONTACT, and without the
// secret in the run's output.
func checkRegistrySettings(t *testing.T, seed func(key, name, typ, data string), inventory func() ([]byte, error), deviceID string, rs registrySettings) {
	t.Helper()
	fleetCA := tlstest.New(t, "Fleet CA", nil, true)
	client := tlstest.New(t, "pc42", fleetCA, false)
	glpi := glpitest.New(t, glpitest.WithOAuth(rs.client, rs.secret), glpitest.WithClientCertificates(fleetCA.Cert))
	dir := t.TempDir()
	serverCA := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: glpi.Certificate.Raw})
	for name, data := range map[string][]byte{
		"ca.pem": serverCA, "ca/glpi.pem": serverCA, "pc42.crt": client.CertPEM(), "pc42.key": client.KeyPEM(),
		"pc42.pem": append(client.CertPEM(), client.KeyPEM()...),
	} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o700)
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f := tlsFiles{
		caFile: winPath(filepath.Join(dir, "ca.pem")), caDir: winPath(filepath.Join(dir, "ca")),
		certFile: winPath(filepath.Join(dir, "pc42.crt")), keyFile: winPath(filepath.Join(dir, "pc42.key")),
		bothFile: winPath(filepath.Join(dir, "pc42.pem")),
	}
	for _, v := range rs.values(glpi.URL, f) {
		seed(rs.key, v[0], v[1], v[2])
	}
	out, err := inventory()
	if err != nil {
		t.Fatalf("glpi-agentd.exe inventory, configured by %s in %s: %v\n%s", rs.from, rs.key, err, out)
	}
	if bytes.Contains(out, []byte(rs.secret)) {
		t.Errorf("the run's output holds the OAuth client secret:\n%s", out)
	}
	inv := glpi.WaitInventories(t, 1, 30*time.Second)[0]
	var msg struct{ Content map[string]json.RawMessage }
	json.Unmarshal(inv.JSON, &msg)
	if inv.Tag != rs.tag || msg.Content["softwares"] != nil || msg.Content["hardware"] == nil || glpi.TokenRequests() == 0 {
		t.Errorf("%s: inventory tag %q, softwares %t, hardware %t, %d token requests; want tag %s, no softwares, hardware, a token",
			rs.from, inv.Tag, msg.Content["softwares"] != nil, msg.Content["hardware"] != nil, glpi.TokenRequests(), rs.tag)
	}
	if a := glpi.Agents()[deviceID]; a.Port != rs.port {
		t.Errorf("%s: CONTACT httpd-port %d, want %d (agents %+v)", rs.from, a.Port, rs.port, glpi.Agents())
	}
}

// storableHash is a hash of strings as Perl's Storable::store writes it
// on a 64-bit little-endian machine (what the official agent keeps its
// deviceid in).
func storableHash(m map[string]string) []byte {
	le32 := func(b []byte, n int) []byte { return binary.LittleEndian.AppendUint32(b, uint32(n)) }
	b := le32([]byte("pst0\x04\x0b\x0812345678\x04\x08\x08\x08\x03"), len(m))
	for k, v := range m {
		b = append(le32(append(b, 0x01), len(v)), v...) // a long scalar
		b = append(le32(b, len(k)), k...)
	}
	return b
}
