package glpi_test

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/glpi"
	"github.com/glpi-agentd/glpi-agentd/glpi/schematest"
)

// TestRootKeysAreInventorysFields: RootKeys, which the service enforces,
// and the fields of Inventory, which the agent sends, are one list.
func TestRootKeysAreInventorysFields(t *testing.T) {
	var fields []string
	typ := reflect.TypeFor[glpi.Inventory]()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		fields = append(fields, name)
	}
	slices.Sort(fields)
	if keys := slices.Sorted(slices.Values(glpi.RootKeys)); !slices.Equal(fields, keys) {
		t.Errorf("Inventory's fields %v, RootKeys %v: want one list", fields, keys)
	}
}

// TestRulesFollowTheSchema: the root keys are the schema's, and every
// itemtype the schema allows is valid (GLPI 11's custom assets besides).
func TestRulesFollowTheSchema(t *testing.T) {
	schematest.Get(t)
	b, err := os.ReadFile(schematest.Path())
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Properties map[string]struct {
			Pattern string `json:"pattern"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(b, &schema); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range schema.Properties {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, slices.Sorted(slices.Values(glpi.RootKeys))) {
		t.Errorf("schema root keys %v, RootKeys %v", keys, glpi.RootKeys)
	}
	pattern := schema.Properties["itemtype"].Pattern
	m := regexp.MustCompile(`^\^\(([^)]*)\)\$$`).FindStringSubmatch(pattern)
	if m == nil {
		t.Fatalf("schema itemtype pattern %q: want ^(A|B|…)$", pattern)
	}
	for _, it := range strings.Split(m[1], "|") {
		if !glpi.ValidItemType(it) {
			t.Errorf("ValidItemType(%q) = false; the schema allows it", it)
		}
	}
	for _, it := range []string{`Glpi\CustomAsset\Laptop_2`} {
		if !glpi.ValidItemType(it) {
			t.Errorf("ValidItemType(%q) = false; GLPI 11 takes custom assets", it)
		}
	}
	for _, it := range []string{"", "computer", "Computer ", "Software", `Glpi\CustomAsset\`, `Glpi\CustomAsset\a b`} {
		if glpi.ValidItemType(it) {
			t.Errorf("ValidItemType(%q) = true", it)
		}
	}
}
