// Package schematest validates inventories against GLPI's official inventory
// JSON schema, in tests. The schema is upstream data and is not kept in this
// repository: it is read from $GLPI_INVENTORY_SCHEMA, or from
// ../shared/glpi/inventory.schema.json beside the module's root; tests that
// need it are skipped with a clear message where it is absent, and fail
// under CI.
package schematest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// EnvVar names the variable that overrides the schema's location.
const EnvVar = "GLPI_INVENTORY_SCHEMA"

// Schema is the compiled inventory schema.
type Schema struct{ s *jsonschema.Schema }

var (
	once     sync.Once
	compiled *Schema
	loadErr  error
)

// Path returns where the schema is looked for.
func Path() string {
	if p := os.Getenv(EnvVar); p != "" {
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "glpi", "inventory.schema.json")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Load compiles the schema once and returns it.
func Load() (*Schema, error) {
	once.Do(func() {
		p := Path()
		if p == "" {
			loadErr = errors.New("inventory schema: no go.mod above the working directory")
			return
		}
		f, err := os.Open(p)
		if err != nil {
			loadErr = fmt.Errorf("inventory schema: %w (set %s)", err, EnvVar)
			return
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			loadErr = fmt.Errorf("parse inventory schema %q: %w", p, err)
			return
		}
		c := jsonschema.NewCompiler()
		const url = "https://glpi-project.org/inventory.json"
		if err := c.AddResource(url, doc); err != nil {
			loadErr = fmt.Errorf("add inventory schema: %w", err)
			return
		}
		s, err := c.Compile(url)
		if err != nil {
			loadErr = fmt.Errorf("compile inventory schema: %w", err)
			return
		}
		compiled = &Schema{s}
	})
	return compiled, loadErr
}

// Validate checks one inventory message (the whole document: action,
// deviceid, content…) and returns the violations as one error.
func (s *Schema) Validate(doc []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("JSON not well formed: %w", err)
	}
	return s.s.Validate(v)
}

// Get returns the schema, or skips the test when it is absent. Under CI
// (CI=true), where the schema is always beside the tree, its absence fails
// the test instead: a validation that never ran must not pass.
func Get(t testing.TB) *Schema {
	t.Helper()
	s, err := Load()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("GLPI inventory schema not available under CI: %v", err)
		}
		t.Skipf("GLPI inventory schema not available, skipping schema validation: %v", err)
	}
	return s
}

// Validate fails the test when doc, an inventory message or a value that
// marshals to one, does not validate against the schema. In a *testing.T
// the validation is a subtest of its own, "schema": without the schema it
// alone is skipped, and the comparisons and assertions around it still run.
func Validate(t testing.TB, doc any) {
	t.Helper()
	b, ok := doc.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(doc); err != nil {
			t.Fatalf("marshal inventory: %v", err)
		}
	}
	check := func(t testing.TB) {
		t.Helper()
		if err := Get(t).Validate(b); err != nil {
			t.Errorf("inventory does not validate against the GLPI schema: %v", err)
		}
	}
	if tt, ok := t.(*testing.T); ok {
		tt.Run("schema", func(t *testing.T) { check(t) })
		return
	}
	check(t)
}
