package glpi

import (
	"testing"
	"time"
)

func TestAnswerDelay(t *testing.T) {
	tests := []struct {
		expiration string
		want       time.Duration
		ok         bool
	}{
		{`24`, 24 * time.Hour, true},
		{`1`, time.Hour, true},
		{`0.5`, 30 * time.Minute, true},
		{`"24"`, 24 * time.Hour, true},
		{`"90s"`, 90 * time.Second, true},
		{`"15m"`, 15 * time.Minute, true},
		{`"2h"`, 2 * time.Hour, true},
		{`"7d"`, 7 * 24 * time.Hour, true},
		{`" 3h "`, 3 * time.Hour, true},
		{``, 0, false},
		{`null`, 0, false},
		{`0`, 0, false},
		{`-1`, 0, false},
		{`"0s"`, 0, false},
		{`"abc"`, 0, false},
		{`"h"`, 0, false},
		{`"5w"`, 0, false},
		{`"NaN"`, 0, false},
		{`"Inf"`, 0, false},
		{`1e300`, 0, false},
		{`9000`, 0, false},
		{`"400d"`, 0, false},
		{`true`, 0, false},
		{`{}`, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.expiration, func(t *testing.T) {
			a := &Answer{Expiration: []byte(tt.expiration)}
			got, ok := a.Delay()
			if got != tt.want || ok != tt.ok {
				t.Errorf("Delay(%s) = %v, %v; want %v, %v", tt.expiration, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParseAnswer(t *testing.T) {
	const contact = `{"expiration":24,"status":"ok",
		"tasks":{"inventory":{"server":"glpi","version":"10.0.16","no-category":"software,process"}},
		"message":"remoteinventory task not supported;wakeonlan task not supported",
		"disabled":["remoteinventory","wakeonlan"]}`
	a, err := ParseAnswer([]byte(contact))
	if err != nil {
		t.Fatalf("ParseAnswer(contact) error: %v", err)
	}
	inv := a.Tasks["inventory"]
	if a.Status != StatusOK || inv.Server != "glpi" || inv.Version != "10.0.16" || inv.NoCategory != "software,process" {
		t.Errorf("ParseAnswer(contact) = %+v, want status ok and the inventory task", a)
	}
	if len(a.Disabled) != 2 || a.Disabled[1] != "wakeonlan" {
		t.Errorf("ParseAnswer(contact).Disabled = %q, want [remoteinventory wakeonlan]", a.Disabled)
	}
	if d, ok := a.Delay(); d != 24*time.Hour || !ok {
		t.Errorf("ParseAnswer(contact).Delay() = %v, %v; want 24h, true", d, ok)
	}
	for _, bad := range []string{``, `[]`, `{}`, `{"status":""}`, `{"status":1}`, `<REPLY><RESPONSE>SEND</RESPONSE></REPLY>`, `<html>`} {
		if a, err := ParseAnswer([]byte(bad)); err == nil {
			t.Errorf("ParseAnswer(%q) = %+v, want an error", bad, a)
		}
	}
}

func FuzzParseAnswer(f *testing.F) {
	for _, s := range []string{
		`{"expiration":24,"status":"ok"}`,
		`{"expiration":"90s","status":"pending"}`,
		`{"status":"error","message":"JSON not well formed!","expiration":24}`,
		`{"status":"ok","tasks":{"inventory":{"server":"glpi","version":"11.0.1"}},"disabled":["wakeonlan"]}`,
		`{"status":"ok","expiration":"7d"}`,
		`{"status":"ok","expiration":1e308}`,
		`Inventory is disabled`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseAnswer(b)
		if err != nil {
			return
		}
		if a.Status == "" {
			t.Errorf("ParseAnswer(%q) accepted an answer without status", b)
		}
		if d, ok := a.Delay(); ok && (d <= 0 || d > maxDelay) {
			t.Errorf("ParseAnswer(%q).Delay() = %v, true; want within (0, %v]", b, d, maxDelay)
		}
	})
}
