package collectors

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"reflect"
	"testing"
)

// ipmiLanPrint is "ipmitool lan print" on a Dell server's iDRAC.
const ipmiLanPrint = `Set in Progress         : Set Complete
Auth Type Support       : NONE MD2 MD5 PASSWORD 
Auth Type Enable        : Callback : MD2 MD5 PASSWORD 
                        : User     : MD2 MD5 PASSWORD 
                        : Admin    : MD2 MD5 PASSWORD 
IP Address Source       : Static Address
IP Address              : 10.0.12.34
Subnet Mask             : 255.255.254.0
MAC Address             : d0:94:66:12:34:56
SNMP Community String   : public
Default Gateway IP      : 10.0.12.1
Default Gateway MAC     : 00:00:00:00:00:00
Backup Gateway IP       : 0.0.0.0
802.1q VLAN ID          : Disabled
`

func TestParseIPMILan(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     Network
		ok       bool
	}{
		{"configured", ipmiLanPrint, Network{Description: "bmc", Type: "ethernet", Management: true, Status: "up",
			MAC: "d0:94:66:12:34:56", IPAddress: "10.0.12.34", IPMask: "255.255.254.0", IPSubnet: "10.0.12.0", IPGateway: "10.0.12.1"}, true},
		{"no address", "IP Address              : 0.0.0.0\nSubnet Mask             : 0.0.0.0\nMAC Address             : D0:94:66:12:34:57\n",
			Network{Description: "bmc", Type: "ethernet", Management: true, Status: "down", MAC: "d0:94:66:12:34:57"}, true},
		{"an error's output", "Invalid channel: 1\n", Network{}, false},
	} {
		got, ok := parseIPMILan(tc.in)
		if ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: parseIPMILan() = %+v, %v, want %+v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
		if ok {
			validateSection(t, "networks", []Network{got})
		}
	}
}

// TestBMCNetwork: the BMC's interface ends the networks section where the
// machine has an IPMI device and ipmitool; ipmitool is not run without the
// device, and its absence or failure gives no interface.
func TestBMCNetwork(t *testing.T) {
	withDevice := writeTree(t, map[string]string{"dev/ipmi0": "", "sys/class/net/.keep": ""})
	without := writeTree(t, map[string]string{"sys/class/net/.keep": ""})
	bmc := Network{Description: "bmc", Type: "ethernet", Management: true, Status: "up",
		MAC: "d0:94:66:12:34:56", IPAddress: "10.0.12.34", IPMask: "255.255.254.0", IPSubnet: "10.0.12.0", IPGateway: "10.0.12.1"}
	for _, tc := range []struct {
		name  string
		root  string
		err   error
		want  []Network
		calls int
	}{
		{"device and ipmitool", withDevice, nil, []Network{bmc}, 1},
		{"no device", without, nil, nil, 0},
		{"no ipmitool", withDevice, fmt.Errorf("run: %w", exec.ErrNotFound), nil, 1},
		{"ipmitool fails", withDevice, &exec.ExitError{}, nil, 1},
	} {
		calls := 0
		env := &Env{Root: tc.root, Exec: func(_ context.Context, name string, args ...string) ([]byte, error) {
			calls++
			if name != "ipmitool" || !reflect.DeepEqual(args, []string{"lan", "print"}) {
				t.Errorf("%s: ran %s %v", tc.name, name, args)
			}
			if tc.err != nil {
				return nil, tc.err
			}
			return []byte(ipmiLanPrint), nil
		}}
		v, err := collectNetworks(t.Context(), env)
		got, _ := v.([]Network)
		if err != nil || !reflect.DeepEqual(got, tc.want) || calls != tc.calls {
			t.Errorf("%s: networks = %+v, %v after %d runs, want %+v after %d", tc.name, got, err, calls, tc.want, tc.calls)
		}
	}
}

// TestPowerSuppliesFromBMC: on a server whose SMBIOS table describes no
// power supply, they come from the BMC's FRU where ipmitool can ask it;
// without the BMC device, there are none to send.
func TestPowerSuppliesFromBMC(t *testing.T) {
	run := func(_ context.Context, name string, args ...string) ([]byte, error) {
		if name != "ipmitool" || !reflect.DeepEqual(args, []string{"fru", "print"}) {
			t.Errorf("ran %s %v", name, args)
		}
		return []byte(dellFRU), nil
	}
	table := append(smbiosStructure(smbiosBIOS, 0, []byte{1, 2, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "Dell Inc.", "2.19.1", "06/06/2023"),
		smbiosStructure(smbiosEndOfTable, 0xFFFF, nil)...)
	server := writeTree(t, map[string]string{"dev/ipmi0": "", dmiTable[1:]: string(table)})
	v, err := collectPowerSupplies(t.Context(), &Env{Root: server, Exec: run})
	if got, _ := v.([]PowerSupply); err != nil || len(got) != 2 || got[0].PartNum != "05NF18" || got[1].SerialNumber != "CN1797238QA8EI" {
		t.Errorf("power supplies = %+v, %v; want the FRU's two", v, err)
	}
	desktop := writeTree(t, map[string]string{dmiTable[1:]: string(table)})
	if v, err := collectPowerSupplies(t.Context(), &Env{Root: desktop, Exec: run}); count(v) != 0 || err != nil {
		t.Errorf("power supplies without a BMC = %+v, %v; want none", v, err)
	}
	if v, err := collectPowerSupplies(t.Context(), &Env{Root: t.TempDir(), Exec: run}); !errors.Is(err, ErrNoData) {
		t.Errorf("power supplies without a table or a BMC = %+v, %v; want no data", v, err)
	}
}
