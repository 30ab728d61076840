package main

import (
	"testing"

	"github.com/glpi-agentd/glpi-agentd/enroll/store/pgtest"
)

// freshSchema returns a fresh schema of the test database for one test.
func freshSchema(t *testing.T) string { return pgtest.Schema(t) }
