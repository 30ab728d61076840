package collectors

import "testing"

func TestParseDockerConfig(t *testing.T) {
	tests := []struct {
		name, in string
		want     VirtualMachine
	}{
		{"running, two networks", `{"Name":"/app","Config":{"Image":"app:1"},"State":{"Running":true},
			"NetworkSettings":{"Networks":{"zeta":{"IPAddress":"10.1.0.2","MacAddress":"02:42:0a:01:00:02"},
			"alpha":{"IPAddress":"10.2.0.2","MacAddress":"02:42:0a:02:00:02"}}}}`,
			VirtualMachine{Name: "app", Image: "app:1", VMType: "docker", Status: "running", IPAddress: "10.2.0.2", MAC: "02:42:0a:02:00:02"}},
		{"paused", `{"Name":"/p","State":{"Running":true,"Paused":true}}`, VirtualMachine{Name: "p", VMType: "docker", Status: "paused"}},
		{"stopped", `{"Name":"/s","State":{}}`, VirtualMachine{Name: "s", VMType: "docker", Status: "off"}},
	}
	for _, tt := range tests {
		got, err := parseDockerConfig([]byte(tt.in))
		if err != nil || got != tt.want {
			t.Errorf("parseDockerConfig(%s) = %+v, %v, want %+v", tt.name, got, err, tt.want)
		}
	}
	if _, err := parseDockerConfig([]byte("{")); err == nil {
		t.Errorf("parseDockerConfig(bad JSON) = nil error, want an error")
	}
}

func TestToMiB(t *testing.T) {
	tests := []struct {
		v    int64
		unit string
		want int64
	}{{8388608, "KiB", 8192}, {8388608, "", 8192}, {2, "GiB", 2048}, {512, "MiB", 512}, {1 << 30, "bytes", 1024}, {1, "TB?", 0}}
	for _, tt := range tests {
		if got := toMiB(tt.v, tt.unit); got != tt.want {
			t.Errorf("toMiB(%d, %q) = %d, want %d", tt.v, tt.unit, got, tt.want)
		}
	}
}

func TestParseLXCConfig(t *testing.T) {
	conf := "# Template used to create this container\nlxc.include = /usr/share/lxc/config/common.conf\n" +
		"lxc.uts.name = web1\nlxc.net.0.type = veth\nlxc.net.0.hwaddr = 00:16:3E:AA:BB:CC\nlxc.net.1.hwaddr = 00:16:3e:00:00:01\n"
	want := VirtualMachine{Name: "web1", VMType: "lxc", MAC: "00:16:3e:aa:bb:cc"}
	if got := parseLXCConfig("dir", conf); got != want {
		t.Errorf("parseLXCConfig = %+v, want %+v", got, want)
	}
}
