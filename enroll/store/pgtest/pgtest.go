// Package pgtest gives tests a PostgreSQL schema of their own in the test
// database named by $GLPI_ENROLLD_TEST_DATABASE, so suites and replicas can
// share one server without seeing each other's rows.
package pgtest

import (
	"crypto/rand"
	"database/sql"
	"net/url"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// EnvVar names the variable holding the test database's URL.
const EnvVar = "GLPI_ENROLLD_TEST_DATABASE"

// URL returns the test database's URL, or "" when none is configured.
func URL() string { return os.Getenv(EnvVar) }

// Schema creates a fresh schema in the test database, dropped when the test
// ends, and returns a URL whose search_path selects it. It skips the test
// when no test database is configured, and fails it under CI (CI=true).
func Schema(t testing.TB) string {
	t.Helper()
	dsn := URL()
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not set under CI: the PostgreSQL part must run", EnvVar)
		}
		t.Skipf("%s not set: PostgreSQL part skipped (set it to a test database's URL to run it)", EnvVar)
	}
	name := "t_" + strings.ToLower(rand.Text()[:12])
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("open %s: %v", EnvVar, err)
	}
	if _, err := admin.Exec(`CREATE SCHEMA ` + name); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec(`DROP SCHEMA ` + name + ` CASCADE`)
		admin.Close()
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvVar, err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}
