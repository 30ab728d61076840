package loadtest

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/glpi/schematest"
)

// softwareCount is the number of packages in the simulated inventory,
// about what a desktop Linux or Windows machine reports.
const softwareCount = 900

// invVars are the values that differ between agents and between the runs
// of one agent.
type invVars struct {
	DeviceID string
	Tag      string // the key's, as the enrollment answer gives it
	Host     string
	UUID     string
	Serial   string
	MAC      string
	IP       string
	Run      int    // changes a few package versions and the boot time
	Marker   string // unique per inventory, found again at GLPI
}

func (v *invVars) value(name string) string {
	switch name {
	case "DEVICEID":
		return v.DeviceID
	case "TAG":
		return v.Tag
	case "HOST":
		return v.Host
	case "UUID":
		return v.UUID
	case "SERIAL":
		return v.Serial
	case "MAC":
		return v.MAC
	case "IP":
		return v.IP
	case "RUN":
		return strconv.Itoa(v.Run)
	case "BOOT":
		return fmt.Sprintf("2026-01-%02d 08:%02d:00", 1+v.Run%28, v.Run%60)
	case "MARK":
		return v.Marker
	}
	panic("unknown inventory placeholder " + name)
}

// template is one realistic inventory message, generated once, cut at the
// placeholders that render fills in.
type template struct {
	parts [][]byte // len(names)+1 literal pieces
	names []string // placeholder between parts[i] and parts[i+1]
	size  int      // rendered size, roughly
}

var placeholder = regexp.MustCompile(`@([A-Z]+)@`)

// newTemplate builds the inventory template from a fixed seed, so every
// run of the harness sends the same kind of content.
func newTemplate() *template {
	// The content goes last, as the agent writes it.
	doc := inventoryDoc()
	content, err := json.Marshal(doc["content"])
	delete(doc, "content")
	head, err2 := json.Marshal(doc)
	if err != nil || err2 != nil {
		panic(errors.Join(err, err2)) // a literal document always encodes
	}
	raw := append(append(head[:len(head)-1:len(head)-1], `,"content":`...), append(content, '}')...)
	t := &template{size: len(raw)}
	last := 0
	for _, m := range placeholder.FindAllSubmatchIndex(raw, -1) {
		t.parts = append(t.parts, raw[last:m[0]])
		t.names = append(t.names, string(raw[m[2]:m[3]]))
		last = m[1]
	}
	t.parts = append(t.parts, raw[last:])
	return t
}

// render returns the inventory of one agent for one run.
func (t *template) render(v *invVars) []byte {
	var b bytes.Buffer
	b.Grow(t.size + 256)
	for i, name := range t.names {
		b.Write(t.parts[i])
		b.WriteString(v.value(name)) // values need no JSON escaping
	}
	b.Write(t.parts[len(t.parts)-1])
	return b.Bytes()
}

// inventoryDoc returns the message with @NAME@ placeholders where agents
// and runs differ.
func inventoryDoc() map[string]any {
	rng := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields(`lib core net http xml crypt ssl gtk qt kde gnome font audio video image print
		python perl ruby node java go rust sql cache dbus udev system boot firm ware util tool kit data
		proto buf zip lz bz gz tar mail dns ldap krb sasl pam selinux acl attr cap seccomp tls json yaml`)
	publishers := []string{"Debian Project", "Microsoft Corporation", "Mozilla", "The Document Foundation",
		"Google LLC", "Adobe Inc.", "Canonical Ltd.", "Red Hat, Inc.", "Oracle Corporation", "VideoLAN"}
	softwares := make([]map[string]any, softwareCount)
	for i := range softwares {
		name := words[rng.IntN(len(words))] + words[rng.IntN(len(words))] + "-" + words[rng.IntN(len(words))] + strconv.Itoa(i)
		version := fmt.Sprintf("%d.%d.%d-%d", rng.IntN(10), rng.IntN(40), rng.IntN(100), 1+rng.IntN(9))
		if i < 3 {
			version += "+run@RUN@" // small changes between runs
		}
		softwares[i] = map[string]any{
			"name":         name,
			"version":      version,
			"arch":         []string{"amd64", "all", "x86_64", "noarch"}[rng.IntN(4)],
			"publisher":    publishers[rng.IntN(len(publishers))],
			"from":         "deb",
			"install_date": fmt.Sprintf("20%02d-%02d-%02d", 20+rng.IntN(6), 1+rng.IntN(12), 1+rng.IntN(28)),
			"filesize":     1024 * (1 + rng.IntN(200000)),
		}
	}
	users := make([]map[string]any, 20)
	for i := range users {
		login := fmt.Sprintf("user%02d", i)
		users[i] = map[string]any{"id": strconv.Itoa(1000 + i), "login": login, "name": "User " + login,
			"home": "/home/" + login, "shell": "/bin/bash"}
	}
	return map[string]any{
		"action":   "inventory",
		"deviceid": "@DEVICEID@",
		"itemtype": "Computer",
		"tag":      "@TAG@",
		"content": map[string]any{
			"versionclient": "glpi-agentd-loadtest",
			"versionprovider": map[string]any{
				"name": "glpi-agentd", "version": "loadtest", "comments": []string{"@MARK@"},
			},
			"hardware": map[string]any{
				"name": "@HOST@", "uuid": "@UUID@", "memory": 16004, "swap": 2047,
				"chassis_type": "Desktop", "vmsystem": "Physical", "workgroup": "example.org",
			},
			"bios": map[string]any{
				"bdate": "2023-04-12", "bmanufacturer": "Dell Inc.", "bversion": "1.21.0",
				"smanufacturer": "Dell Inc.", "smodel": "OptiPlex 7090", "ssn": "@SERIAL@",
				"mmanufacturer": "Dell Inc.", "msn": "/@SERIAL@/CNFCW0011A/",
			},
			"operatingsystem": map[string]any{
				"name": "Debian GNU/Linux", "version": "12", "full_name": "Debian GNU/Linux 12 (bookworm)",
				"kernel_name": "linux", "kernel_version": "6.1.0-18-amd64", "arch": "x86_64",
				"fqdn": "@HOST@.example.org", "boot_time": "@BOOT@",
			},
			"cpus": []map[string]any{{"name": "11th Gen Intel(R) Core(TM) i7-11700 @ 2.50GHz",
				"manufacturer": "Intel", "core": 8, "thread": 16, "speed": 2500, "arch": "x86_64"}},
			"memories": []map[string]any{
				{"capacity": 8192, "caption": "DIMM1", "type": "DDR4", "speed": "3200", "numslots": 1, "serialnumber": "@SERIAL@-M1"},
				{"capacity": 8192, "caption": "DIMM2", "type": "DDR4", "speed": "3200", "numslots": 2, "serialnumber": "@SERIAL@-M2"},
			},
			"networks": []map[string]any{
				{"description": "eno1", "mac": "@MAC@", "ipaddress": "@IP@", "ipmask": "255.255.0.0", "status": "up", "type": "ethernet", "virtualdev": false},
				{"description": "lo", "ipaddress": "127.0.0.1", "ipmask": "255.0.0.0", "status": "up", "type": "loopback", "virtualdev": true},
			},
			"drives": []map[string]any{
				{"volumn": "/dev/nvme0n1p2", "type": "/", "filesystem": "ext4", "total": 487000, "free": 301000, "serial": "@UUID@"},
				{"volumn": "/dev/nvme0n1p1", "type": "/boot/efi", "filesystem": "vfat", "total": 511, "free": 505},
			},
			"local_users": users,
			"softwares":   softwares,
		},
	}
}

// markerPattern matches the per-inventory marker put in
// content.versionprovider.comments: "lt:RUN:AGENT:SEQ".
var markerPattern = regexp.MustCompile(`lt:[0-9a-z]+:[0-9]+:[0-9]+`)

func marker(run string, agent, seq int) string {
	return fmt.Sprintf("lt:%s:%d:%d", run, agent, seq)
}

// received is what GLPI learns from one relayed inventory.
type received struct {
	DeviceID string
	Marker   string
}

// parseReceived reads the deviceid and marker of an inventory message.
func parseReceived(body []byte) (received, error) {
	var msg struct {
		DeviceID string `json:"deviceid"`
		Content  struct {
			VersionProvider struct {
				Comments []string `json:"comments"`
			} `json:"versionprovider"`
		} `json:"content"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		return received{}, fmt.Errorf("decode inventory: %w", err)
	}
	for _, c := range msg.Content.VersionProvider.Comments {
		if markerPattern.MatchString(c) {
			return received{DeviceID: msg.DeviceID, Marker: c}, nil
		}
	}
	return received{DeviceID: msg.DeviceID}, nil
}

func TestTemplate(t *testing.T) {
	tmpl := newTemplate()
	vars := invVars{DeviceID: "pc-0001-2026-01-01-00-00-00", Host: "pc-0001", UUID: "4C4C4544-0000-0000-0000-000000000001",
		Serial: "SN0001", MAC: "02:00:00:00:00:01", IP: "10.0.0.1", Run: 1, Marker: marker("abc", 1, 1)}
	body := tmpl.render(&vars)
	if n := len(body); n < 100<<10 || n > 170<<10 {
		t.Errorf("len(render()) = %d bytes, want about 130 KB", n)
	}
	var packed bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&packed, zlib.BestSpeed)
	zw.Write(body)
	zw.Close()
	t.Logf("inventory: %d bytes, %d softwares, %d bytes as the outbox keeps it", len(body), softwareCount, packed.Len())
	got, err := parseReceived(body)
	if err != nil {
		t.Fatal(err)
	}
	if want := (received{DeviceID: vars.DeviceID, Marker: vars.Marker}); got != want {
		t.Errorf("parseReceived(render()) = %+v, want %+v", got, want)
	}
	next := vars
	next.Run, next.Marker = 2, marker("abc", 1, 2)
	if bytes.Equal(body, tmpl.render(&next)) {
		t.Error("render() is the same for two runs, want small changes")
	}
	schema, err := schematest.Load()
	if err != nil {
		t.Skipf("inventory schema not available: %v", err)
	}
	if err := schema.Validate(body); err != nil {
		t.Errorf("rendered inventory does not validate: %v", err)
	}
}
