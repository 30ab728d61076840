package agent

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/glpi/glpitest"
	"github.com/glpi-agentd/glpi-agentd/glpi/schematest"
)

// TestContentSectionsFollowTheSchema holds contentSections to GLPI's
// schema: every section of content, with its kind.
func TestContentSectionsFollowTheSchema(t *testing.T) {
	b, err := os.ReadFile(schematest.Path())
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Properties struct {
			Content struct {
				Properties map[string]struct{ Type string } `json:"properties"`
			} `json:"content"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(b, &schema); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for name, p := range schema.Properties.Content.Properties {
		switch p.Type {
		case "array":
			want[name] = true
		case "object":
			want[name] = false
		}
	}
	if len(want) < 40 {
		t.Fatalf("the schema's content has %d sections, want its 40 and more", len(want))
	}
	for name, list := range want {
		if got, ok := contentSections[name]; !ok || got != list {
			t.Errorf("section %s: contentSections has %t (known %t), the schema a list %t", name, got, ok, list)
		}
	}
	for name := range contentSections {
		if _, ok := want[name]; !ok {
			t.Errorf("contentSections has %s, which the schema has not", name)
		}
	}
}

// TestAdditionalContent is the official agent's additional-content: an
// admin's file adds an in-house application to the collected software and
// an asset tag to the hardware; GLPI gets both, with every collected
// entry. A file broken by its script sends the last good one again; a
// file taken away, none; a bad file is refused with what is wrong.
func TestAdditionalContent(t *testing.T) {
	srv := glpitest.New(t)
	a := directAgent(t, srv)
	file := filepath.Join(t.TempDir(), "additional.json")
	a.cfg.AdditionalContent = file
	write := func(s string) {
		if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"content": {"softwares": [{"name": "In-house CRM", "version": "4.2", "publisher": "ACME IT"}],
		"hardware": {"description": "asset 0042"}}}`)
	type software struct{ Name, Version string }
	computer := func() (softwares []software, hw map[string]any) {
		t.Helper()
		id, _ := a.Identity()
		got := srv.Computer(id.DeviceID)
		json.Unmarshal(got["softwares"], &softwares)
		json.Unmarshal(got["hardware"], &hw)
		return softwares, hw
	}
	has := func(sw []software, name string) bool {
		for _, s := range sw {
			if s.Name == name {
				return true
			}
		}
		return false
	}

	if _, err := a.RunOnce(t.Context(), Request{Full: true}); err != nil {
		t.Fatal(err)
	}
	sw, hw := computer()
	collected := len(sw) - 1
	if !has(sw, "In-house CRM") || collected < 10 || hw["description"] != "asset 0042" || hw["name"] == nil {
		t.Fatalf("GLPI has %d softwares (CRM %t), hardware %v; want the collected ones, the CRM, the asset tag and the name", len(sw), has(sw, "In-house CRM"), hw)
	}

	// The script that writes the file fails half-way.
	write(`{"content": {"softwares": [{"name": "In-house`)
	if _, err := a.RunOnce(t.Context(), Request{Full: true}); err != nil {
		t.Fatal(err)
	}
	if sw, hw = computer(); !has(sw, "In-house CRM") || len(sw) != collected+1 || hw["description"] != "asset 0042" {
		t.Errorf("with a broken file GLPI has %d softwares (CRM %t), hardware description %v; want the last good file's", len(sw), has(sw, "In-house CRM"), hw["description"])
	}

	// A run of one category merges nothing into the sections it did not
	// collect.
	if _, err := a.RunOnce(t.Context(), Request{Categories: []string{"cpu"}}); err != nil {
		t.Fatal(err)
	}
	if sw, _ = computer(); len(sw) != collected+1 {
		t.Errorf("after a cpu-only run GLPI has %d softwares, want %d", len(sw), collected+1)
	}

	// The admin takes the file away.
	os.Remove(file)
	if _, err := a.RunOnce(t.Context(), Request{Full: true}); err != nil {
		t.Fatal(err)
	}
	if sw, hw = computer(); has(sw, "In-house CRM") || len(sw) != collected || hw["description"] != nil {
		t.Errorf("without the file GLPI has %d softwares (CRM %t), hardware description %v; want the collected ones alone", len(sw), has(sw, "In-house CRM"), hw["description"])
	}

	// A first run whose software collector fails: the inventory leaves the
	// section out (partial) rather than send the file's entry alone, which
	// would make GLPI drop the collected ones.
	fresh := directAgent(t, srv)
	fresh.cfg.AdditionalContent = file
	write(`{"content": {"softwares": [{"name": "In-house CRM"}]}}`)
	fresh.runCollectors = failing("softwares")
	if _, err := fresh.RunOnce(t.Context(), Request{Full: true}); err != nil {
		t.Fatal(err)
	}
	invs := srv.Inventories()
	var last struct {
		Partial bool
		Content map[string]json.RawMessage
	}
	json.Unmarshal(invs[len(invs)-1].JSON, &last)
	if !last.Partial || last.Content["softwares"] != nil {
		t.Errorf("with the software collector failed: partial %t, softwares %s; want a partial inventory without them", last.Partial, last.Content["softwares"])
	}

	for _, bad := range []struct{ file, want string }{
		{`{"softwares": []}`, `no "content" object`},
		{`{"content": {"softwares": {"name": "x"}}}`, "want a list of objects"},
		{`{"content": {"hardware": [{"name": "x"}]}}`, "want an object"},
		{`{"content": {"versionclient": "x"}}`, "the agent's own"},
		{`{"content": {"acme_site": {"site": "B"}}}`, "not a section of GLPI's inventory format"},
		{`not json`, "not JSON"},
	} {
		if _, err := parseAdditionalContent([]byte(bad.file)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("parseAdditionalContent(%s) = %v, want an error saying %q", bad.file, err, bad.want)
		}
	}
}

// TestItemType is the official agent's itemtype: a fleet whose machines
// GLPI 11 keeps as a custom asset type goes on landing on those records.
func TestItemType(t *testing.T) {
	srv := glpitest.New(t, glpitest.WithCustomAssets(`Glpi\CustomAsset\Laptop`))
	a := directAgent(t, srv)
	a.cfg.ItemType = `Glpi\CustomAsset\Laptop`
	if _, err := a.RunOnce(t.Context(), Request{Full: true}); err != nil {
		t.Fatal(err)
	}
	var msg struct{ ItemType string }
	json.Unmarshal(srv.Inventories()[0].JSON, &msg)
	if msg.ItemType != `Glpi\CustomAsset\Laptop` {
		t.Errorf("itemtype %q, want Glpi\\CustomAsset\\Laptop", msg.ItemType)
	}
}
