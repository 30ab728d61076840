package collectors

import (
	"errors"
	"reflect"
	"testing"
)

// testRegistry parses a regedit export body (without its header).
func testRegistry(t *testing.T, body string) registrySource {
	t.Helper()
	r, err := parseRegFile([]byte("Windows Registry Editor Version 5.00\n\n" + body))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Configurations shared by the network tests: an Ethernet adapter with two
// addresses, a disconnected Wi-Fi adapter, a hidden WAN miniport with a
// MAC address, a disconnected VPN adapter without one, and a kernel
// debugger with neither.
const testNetConfs = `[
	{"Index": 1, "InterfaceIndex": 11, "Description": "Acme Gigabit", "IPEnabled": true, "DHCPEnabled": true,
	 "DHCPServer": "10.1.0.1", "MACAddress": "02:00:00:AA:BB:01", "SettingID": "{AAAA0001-0000-0000-0000-000000000000}",
	 "DNSDomain": "corp.example", "IPAddress": ["10.1.0.20", "fe80::1%11"], "IPSubnet": ["255.255.255.0", "64"],
	 "DefaultIPGateway": ["10.1.0.254"]},
	{"Index": 2, "InterfaceIndex": 12, "Description": "Acme Wireless", "MACAddress": "02:00:00:AA:BB:02",
	 "SettingID": "{AAAA0002-0000-0000-0000-000000000000}"},
	{"Index": 3, "InterfaceIndex": 13, "Description": "WAN Miniport (IP)", "MACAddress": "02:00:00:AA:BB:03"},
	{"Index": 4, "InterfaceIndex": 14, "Description": "Acme SSL VPN Adapter"},
	{"Index": 5, "InterfaceIndex": 15, "Description": "Kernel Debug Network Adapter"}
]`

func TestWinNetworksNetAdapter(t *testing.T) {
	w := wmiDir(t, map[string]string{
		"Win32_NetworkAdapterConfiguration": testNetConfs,
		"MSFT_NetAdapter": `[
			{"InterfaceIndex": 11, "PnPDeviceID": "PCI\\VEN_8086&DEV_15F3&SUBSYS_00008086&REV_03\\00aa", "InterfaceDescription": "Acme Gigabit #2",
			 "InterfaceType": 6, "MediaConnectState": 1, "Speed": "1000000000", "HardwareInterface": true},
			{"InterfaceIndex": 12, "PnPDeviceID": "PCI\\VEN_8086&DEV_2725&SUBSYS_00248086&REV_1A\\00bb", "InterfaceDescription": "Acme Wireless",
			 "InterfaceType": 71, "MediaConnectState": 2, "Speed": "144400000", "HardwareInterface": true},
			{"InterfaceIndex": 14, "PnPDeviceID": "ROOT\\NET\\0001", "InterfaceDescription": "Acme SSL VPN Adapter",
			 "InterfaceType": 6, "MediaConnectState": 0, "Speed": "100000000000"},
			{"InterfaceIndex": 15, "PnPDeviceID": "ROOT\\KDNIC\\0000", "InterfaceDescription": "Kernel Debug Network Adapter", "InterfaceType": 6}
		]`,
		"Win32_NetworkAdapter": `[{"Index": 1, "InterfaceIndex": 11, "ServiceName": "e1dexpress"}]`,
	})
	got, err := collectWin[[]Network](t, winNetworks, winHost{wmi: w})
	if err != nil {
		t.Fatal(err)
	}
	eth := Network{Description: "Acme Gigabit #2", Type: "ethernet", Status: "up", MAC: "02:00:00:AA:BB:01", Speed: "1000",
		Driver: "e1dexpress", PCIID: "8086:15F3:0000:8086", PNPDeviceID: `PCI\VEN_8086&DEV_15F3&SUBSYS_00008086&REV_03\00aa`}
	eth4, eth6 := eth, eth
	eth4.IPAddress, eth4.IPMask, eth4.IPSubnet, eth4.IPGateway, eth4.IPDHCP = "10.1.0.20", "255.255.255.0", "10.1.0.0", "10.1.0.254", "10.1.0.1"
	eth6.IPAddress6, eth6.IPMask6, eth6.IPSubnet6, eth6.IPDHCP = "fe80::1", "ffff:ffff:ffff:ffff::", "fe80::", "10.1.0.1"
	want := []Network{
		eth4, eth6,
		{Description: "Acme Wireless", Type: "wifi", Status: "down", MAC: "02:00:00:AA:BB:02", Speed: "144",
			PCIID: "8086:2725:0024:8086", PNPDeviceID: `PCI\VEN_8086&DEV_2725&SUBSYS_00248086&REV_1A\00bb`},
		{Description: "Acme SSL VPN Adapter", Type: "ethernet", Status: "down", Speed: "100000", VirtualDev: true,
			PNPDeviceID: `ROOT\NET\0001`},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("winNetworks =\n%+v\nwant\n%+v", got, want)
	}
}

func TestWinNetworksLegacy(t *testing.T) {
	w := wmiDir(t, map[string]string{
		"Win32_NetworkAdapterConfiguration": testNetConfs,
		"Win32_NetworkAdapter": `[
			{"Index": 1, "InterfaceIndex": 11, "Name": "Acme Gigabit", "PNPDeviceID": "PCI\\VEN_10EC&DEV_8168&SUBSYS_84321043&REV_06\\4&1",
			 "PhysicalAdapter": true, "NetConnectionStatus": 2, "Speed": "100000000", "ServiceName": "rt640x64", "GUID": "{AAAA0001-0000-0000-0000-000000000000}"},
			{"Index": 2, "InterfaceIndex": 12, "Name": "Acme Wireless", "PNPDeviceID": "PCI\\VEN_8086&DEV_2725&SUBSYS_00248086&REV_1A\\00BB",
			 "PhysicalAdapter": true, "NetConnectionStatus": 7, "Speed": "9223372036854775807"},
			{"Index": 3, "InterfaceIndex": 13, "Name": "WAN Miniport (IP)", "PNPDeviceID": "ROOT\\MS_NDISWANIP\\0000"},
			{"Index": 5, "InterfaceIndex": 15, "Name": "Kernel Debug Network Adapter", "PNPDeviceID": "ROOT\\KDNIC\\0000"}
		]`,
	})
	reg := testRegistry(t, `[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Network\{4D36E972-E325-11CE-BFC1-08002BE10318}\{AAAA0002-0000-0000-0000-000000000000}\Connection]
"MediaSubType"=dword:00000002
`)
	got, err := collectWin[[]Network](t, winNetworks, winHost{wmi: w, reg: reg})
	if err != nil {
		t.Fatal(err)
	}
	var summary [][4]string
	for _, n := range got {
		v := "physical"
		if n.VirtualDev {
			v = "virtual"
		}
		summary = append(summary, [4]string{n.Description, n.Type, n.Status + " " + n.Speed, v})
	}
	want := [][4]string{
		{"Acme Gigabit", "", "up 100", "physical"},
		{"Acme Gigabit", "", "up 100", "physical"},
		{"Acme Wireless", "wifi", "down ", "physical"},
		{"WAN Miniport (IP)", "", "down ", "virtual"},
	}
	if !reflect.DeepEqual(summary, want) {
		t.Errorf("winNetworks (description, type, status, virtual) =\n%v\nwant\n%v", summary, want)
	}
}

func TestWinNetworksFails(t *testing.T) {
	wmiErr := errors.New("access denied")
	if _, err := collectWin[[]Network](t, winNetworks, winHost{wmi: failingWMI{wmiErr}}); !errors.Is(err, wmiErr) {
		t.Errorf("winNetworks with a failing WMI = %v, want %v", err, wmiErr)
	}
}

func TestWinVPNs(t *testing.T) {
	w := wmiDir(t, map[string]string{
		"Win32_NetworkAdapterConfiguration": `[{"Index": 1, "InterfaceIndex": 11, "SettingID": "{AAAA0001-0000-0000-0000-000000000000}"}]`,
		"PS_VpnConnection":                  `[{"Name": "Office", "Guid": "{bbbb0002-0000-0000-0000-000000000000}"}]`,
	})
	reg := testRegistry(t, `[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\Interfaces\{AAAA0001-0000-0000-0000-000000000000}]
"VPNInterface"=dword:00000001
"DhcpIPAddress"="192.0.2.10"

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\Interfaces\{BBBB0002-0000-0000-0000-000000000000}]
"VPNInterface"=dword:00000001
"DhcpIPAddress"="198.51.100.7"
"DhcpSubnetMask"="255.255.255.0"

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\Interfaces\{CCCC0003-0000-0000-0000-000000000000}]
"VPNInterface"=dword:00000001
"DhcpIPAddress"="0.0.0.0"

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\Interfaces\{DDDD0004-0000-0000-0000-000000000000}]
"DhcpIPAddress"="203.0.113.9"
`)
	got := winVPNs(winHost{wmi: w, reg: reg}, []win32NetworkAdapterConfiguration{{SettingID: "{AAAA0001-0000-0000-0000-000000000000}"}})
	want := []winIface{{Network: Network{Description: "Office", Type: "ethernet", Status: "up", VirtualDev: true,
		IPAddress: "198.51.100.7", IPMask: "255.255.255.0", IPSubnet: "198.51.100.0"}, guid: "{BBBB0002-0000-0000-0000-000000000000}"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("winVPNs =\n%+v\nwant\n%+v", got, want)
	}
}

func TestWinFirewallsConnections(t *testing.T) {
	w := wmiDir(t, map[string]string{
		"Win32_NetworkAdapterConfiguration": testNetConfs,
		"Win32_NetworkAdapter": `[
			{"Index": 1, "InterfaceIndex": 11, "Name": "Acme Gigabit", "PNPDeviceID": "PCI\\VEN_10EC&DEV_8168&SUBSYS_84321043&REV_06\\4&1",
			 "PhysicalAdapter": true, "NetConnectionStatus": 2}
		]`,
	})
	reg := testRegistry(t, `[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy\DomainProfile]
"EnableFirewall"=dword:00000001

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy\StandardProfile]
"EnableFirewall"=dword:00000001

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy\PublicProfile]
"EnableFirewall"=dword:00000000

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\NetworkList\Profiles\{11111111-0000-0000-0000-000000000000}]
"ProfileName"="Office network"
"Category"=dword:00000001

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\NetworkList\Profiles\{22222222-0000-0000-0000-000000000000}]
"ProfileName"="Guest"
"Category"=dword:00000000

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\NetworkList\Signatures\Unmanaged\0102]
"ProfileGuid"="{22222222-0000-0000-0000-000000000000}"
"FirstNetwork"="Guest"

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\NetworkList\Signatures\Managed\0101]
"ProfileGuid"="{11111111-0000-0000-0000-000000000000}"
"FirstNetwork"="corp.example"
`)
	got, err := collectWin[[]Firewall](t, winFirewalls, winHost{wmi: w, reg: reg})
	if err != nil {
		t.Fatal(err)
	}
	want := []Firewall{
		{Profile: "DomainProfile", Status: "on"},
		{Profile: "StandardProfile", Status: "on", Description: "Acme Gigabit", IPAddress: "10.1.0.20"},
		{Profile: "StandardProfile", Status: "on", Description: "Acme Gigabit", IPAddress6: "fe80::1"},
		{Profile: "PublicProfile", Status: "off"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("winFirewalls =\n%+v\nwant\n%+v", got, want)
	}
}

func TestFirewallDomainNetwork(t *testing.T) {
	w := wmiDir(t, map[string]string{
		"Win32_NetworkAdapterConfiguration": testNetConfs,
		"Win32_NetworkAdapter": `[{"Index": 1, "InterfaceIndex": 11, "Name": "Acme Gigabit", "PNPDeviceID": "PCI\\VEN_10EC&DEV_8168\\1",
			"PhysicalAdapter": true, "NetConnectionStatus": 2}]`,
	})
	reg := testRegistry(t, `[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\DNSRegisteredAdapters\{AAAA0001-0000-0000-0000-000000000000}]
"PrimaryDomainName"="corp.example"

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\NetworkList\Profiles\{33333333-0000-0000-0000-000000000000}]
"ProfileName"="corp.example"
"Category"=dword:00000002
`)
	got := firewallConnections(winHost{wmi: w, reg: reg})
	if n := len(got["DomainProfile"]); n != 2 || len(got) != 1 {
		t.Errorf("firewallConnections = %+v, want the two addresses of the adapter under DomainProfile", got)
	}
}
