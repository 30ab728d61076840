//go:build !windows

package service

import (
	"context"
	"testing"
)

func TestRunSCMElsewhere(t *testing.T) {
	served := false
	p := &Program{Serve: func(context.Context) error { served = true; return nil }, Exit: func(int) {}}
	if err := RunSCM(p); err == nil {
		t.Error("RunSCM() = nil, want an error outside Windows")
	}
	if served {
		t.Error("RunSCM() started the agent outside Windows")
	}
}
