package collectors

import (
	"errors"
	"fmt"
	"testing"
)

// TestWinAntivirusSources: a host without the Security Center or
// Defender's namespace has no antivirus; a query that fails is an error,
// which keeps the section GLPI has instead of deleting it.
func TestWinAntivirusSources(t *testing.T) {
	noNamespace := fmt.Errorf("connect: %w", errWMINoNamespace)
	failed := errors.New("status 0x80041033")
	defender := map[string][]map[string]any{
		classMpStatus: {{"AMServiceEnabled": true, "AntivirusEnabled": true, "AMProductVersion": "4.18.24090.11"}},
	}
	for _, tc := range []struct {
		name    string
		w       wmiStub
		want    []Antivirus
		wantErr bool
	}{
		{name: "server without Defender", w: wmiStub{errs: map[string]error{`root\SecurityCenter2`: noNamespace, `root\Microsoft\Windows\Defender`: noNamespace}}},
		{name: "server with Defender", w: wmiStub{instances: defender, errs: map[string]error{`root\SecurityCenter2`: noNamespace}},
			want: []Antivirus{{Name: defenderName, Company: microsoftCorp, Enabled: true, Version: "4.18.24090.11"}}},
		{name: "Security Center failing", w: wmiStub{instances: defender, errs: map[string]error{classAntiVirus: failed}}, wantErr: true},
		{name: "Defender failing", w: wmiStub{errs: map[string]error{`root\SecurityCenter2`: noNamespace, classMpStatus: failed}}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := collectWin[[]Antivirus](t, winAntivirus, winHost{wmi: tc.w, reg: &regFile{}})
			switch {
			case tc.wantErr:
				if err == nil || errors.Is(err, ErrNoData) {
					t.Fatalf("got %+v, %v; want the query's error", got, err)
				}
			case tc.want == nil:
				if !errors.Is(err, ErrNoData) {
					t.Fatalf("got %+v, %v; want no data", got, err)
				}
			case err != nil:
				t.Fatal(err)
			case len(got) != len(tc.want) || got[0].Name != tc.want[0].Name || got[0].Version != tc.want[0].Version || got[0].Enabled != tc.want[0].Enabled:
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
