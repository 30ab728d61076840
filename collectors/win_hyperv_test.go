package collectors

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/glpi/schematest"
)

// TestHyperVCaptures runs the collector on the real Hyper-V hosts of the
// corpus and expects what the official agent reports for them.
func TestHyperVCaptures(t *testing.T) {
	dir := corpusDir(t)
	for _, tc := range []struct {
		name string
		want []VirtualMachine
	}{
		// Server 2008 R2 in French: the host, one machine off with its
		// memory and processors; no system settings captured.
		{"2008", []VirtualMachine{
			{Name: "vm-0450-glpi", Status: "off", Subsystem: "MS HyperV", VMType: "HyperV", Memory: 2048, VCPU: 2},
		}},
		// The host and three machines, no settings captured.
		{"unknown", []VirtualMachine{
			{Name: "vmw7cainf295537", Status: "running", Subsystem: "MS HyperV", VMType: "HyperV"},
			{Name: "COLETA_FABIANO", Status: "running", Subsystem: "MS HyperV", VMType: "HyperV"},
			{Name: "W2012", Status: "off", Subsystem: "MS HyperV", VMType: "HyperV"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := winFixture(filepath.Join(dir, "windows", tc.name))
			if err != nil {
				t.Fatal(err)
			}
			got, err := collectWin[[]VirtualMachine](t, winVirtualMachines, h)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
			schematest.Validate(t, map[string]any{
				"deviceid": "x-2024-01-01-00-00-00",
				"content":  map[string]any{"versionclient": "test", "virtualmachines": got},
			})
		})
	}
}

// wmiStub answers queries by class path ("namespace:class"): instances,
// or an error.
type wmiStub struct {
	instances map[string][]map[string]any
	errs      map[string]error
}

func (w wmiStub) Query(class, where string, dst any) error {
	if err := w.errs[class]; err != nil {
		return err
	}
	ns, _, _ := strings.Cut(class, ":")
	if w.errs[ns] != nil {
		return w.errs[ns]
	}
	out := reflect.ValueOf(dst).Elem()
	out.Set(reflect.MakeSlice(out.Type(), 0, 0))
	for _, o := range w.instances[class] {
		ev := reflect.New(out.Type().Elem()).Elem()
		if err := fillWMIStruct(ev, class, o); err != nil {
			return err
		}
		out.Set(reflect.Append(out, ev))
	}
	return nil
}

func TestHyperVMachines(t *testing.T) {
	const v2, v1 = `root\virtualization\v2`, `root\virtualization`
	noNamespace := fmt.Errorf("connect to namespace: %w", errWMINoNamespace)
	host := map[string]any{"ElementName": "HV01", "Name": "HV01", "EnabledState": "2"}
	vm := func(name, guid, state string) map[string]any {
		return map[string]any{"ElementName": name, "Name": guid, "EnabledState": state, "InstallDate": "20240101000000.000000-000"}
	}
	v2Host := map[string][]map[string]any{
		v2 + ":Msvm_ComputerSystem": {host,
			vm("web", "AAAAAAAA-0000-0000-0000-000000000001", "2"),
			vm("paused", "AAAAAAAA-0000-0000-0000-000000000002", "9"),
			vm("saved", "aaaaaaaa-0000-0000-0000-000000000003", "6"),
			vm("stopping", "AAAAAAAA-0000-0000-0000-000000000004", "4"),
			vm("starting", "AAAAAAAA-0000-0000-0000-000000000005", "10"),
		},
		v2 + ":Msvm_MemorySettingData": {
			{"InstanceID": `Microsoft:Definition\4764334E-E001-4176-82EE-5594EC9B530E\Default`, "VirtualQuantity": "512"},
			{"InstanceID": `Microsoft:AAAAAAAA-0000-0000-0000-000000000001\4764334D-E001-4176-82EE-5594EC9B530E`, "VirtualQuantity": "4096"},
			// A snapshot's settings name the snapshot, not the machine.
			{"InstanceID": `Microsoft:BBBBBBBB-0000-0000-0000-000000000001\4764334D-E001-4176-82EE-5594EC9B530E`, "VirtualQuantity": "1024"},
			{"InstanceID": `Microsoft:AAAAAAAA-0000-0000-0000-000000000003\4764334D-E001-4176-82EE-5594EC9B530E`, "VirtualQuantity": "2048"},
		},
		v2 + ":Msvm_ProcessorSettingData": {
			{"InstanceID": `Microsoft:AAAAAAAA-0000-0000-0000-000000000001\B637F346-6A0E-4DEC-AF52-BD70CB80A21D\0`, "VirtualQuantity": "4"},
		},
		v2 + ":Msvm_VirtualSystemSettingData": {
			{"InstanceID": "Microsoft:AAAAAAAA-0000-0000-0000-000000000001", "BIOSGUID": "{5B1C2D3E-0000-4000-8000-000000000001}"},
			{"InstanceID": "Microsoft:BBBBBBBB-0000-0000-0000-000000000001", "BIOSGUID": "{5B1C2D3E-0000-4000-8000-0000000000FF}"},
		},
	}
	want := []VirtualMachine{
		{Name: "web", Status: "running", Subsystem: "MS HyperV", VMType: "HyperV", UUID: "5B1C2D3E-0000-4000-8000-000000000001", Memory: 4096, VCPU: 4},
		{Name: "paused", Status: "paused", Subsystem: "MS HyperV", VMType: "HyperV"},
		{Name: "saved", Status: "off", Subsystem: "MS HyperV", VMType: "HyperV", Memory: 2048},
		{Name: "stopping", Status: "shutdown", Subsystem: "MS HyperV", VMType: "HyperV"},
		{Name: "starting", Status: "blocked", Subsystem: "MS HyperV", VMType: "HyperV"},
	}
	// The same host through the first version of the provider.
	v1Host := map[string][]map[string]any{}
	for k, v := range v2Host {
		v1Host[v1+strings.TrimPrefix(k, v2)] = v
	}
	failed := errors.New("status 0x80041013")

	for _, tc := range []struct {
		name    string
		w       wmiStub
		want    []VirtualMachine
		wantErr bool
	}{
		{name: "v2", w: wmiStub{instances: v2Host}, want: want},
		{name: "v1 on Server 2008", w: wmiStub{instances: v1Host, errs: map[string]error{v2: noNamespace}}, want: want},
		{name: "no Hyper-V", w: wmiStub{errs: map[string]error{v2: noNamespace, v1: noNamespace}}},
		{name: "the host alone", w: wmiStub{instances: map[string][]map[string]any{v2 + ":Msvm_ComputerSystem": {host}}}},
		{name: "provider failing", w: wmiStub{errs: map[string]error{v2 + ":Msvm_ComputerSystem": failed}}, wantErr: true},
		{name: "settings failing", w: wmiStub{instances: v2Host, errs: map[string]error{v2 + ":Msvm_ProcessorSettingData": failed}}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := collectWin[[]VirtualMachine](t, winVirtualMachines, winHost{wmi: tc.w, reg: &regFile{}})
			switch {
			case tc.wantErr:
				if err == nil || errors.Is(err, ErrNoData) {
					t.Fatalf("got %v, %v; want the provider's error", got, err)
				}
				return
			case tc.want == nil:
				if !errors.Is(err, ErrNoData) {
					t.Fatalf("got %v, %v; want no data", got, err)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
